import { assertEquals } from "../tests/support/assert.ts";
import { MAX_PACKED_VALUE, packValue, unpackValues } from "./packed_values.ts";

Deno.test("packed values round-trip every integral double an int64 varint can give", () => {
  const values = [
    0,
    1,
    -1,
    63,
    -63,
    64,
    -64,
    8191,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 + 5,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 60,
    -(2 ** 63),
    2 ** 64 - 2 ** 11, // the largest double below 2^64 (uint64 varints read as numbers)
  ];
  const bytes = new Uint8Array(values.length * MAX_PACKED_VALUE);
  let end = 0;
  for (const v of values) end = packValue(v, bytes, end);
  const out = new Float64Array(values.length);
  unpackValues(bytes.subarray(0, end), out, values.length);
  assertEquals([...out], values);
});

Deno.test("packed values are short for small counters", () => {
  const bytes = new Uint8Array(MAX_PACKED_VALUE);
  assertEquals([63, 64, 8191, 8192, 2 ** 20 - 1].map((v) => packValue(v, bytes, 0)), [
    1,
    2,
    2,
    3,
    3,
  ]);
});
