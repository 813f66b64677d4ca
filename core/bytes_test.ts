import { assert, assertEquals } from "../tests/support/assert.ts";
import { concatBytes, ownBytes } from "./bytes.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("concatBytes joins chunks in order", () => {
  assertEquals(concatBytes([bytes(1, 2), bytes(), bytes(3), bytes(4, 5)]), bytes(1, 2, 3, 4, 5));
  assertEquals(concatBytes([]), bytes());
  assertEquals(concatBytes([bytes(1, 2), bytes(3)], 3), bytes(1, 2, 3));
});

Deno.test("concatBytes returns a lone chunk without a copy", () => {
  const only = bytes(7, 8);
  assert(concatBytes([only]) === only);
  assert(concatBytes([only], 2) === only);
});

Deno.test("concatBytes keeps only the first total bytes when total is smaller", () => {
  assertEquals(concatBytes([bytes(1, 2), bytes(3, 4), bytes(5)], 3), bytes(1, 2, 3));
  assertEquals(concatBytes([bytes(1, 2, 3)], 2), bytes(1, 2));
  assertEquals(concatBytes([bytes(1, 2)], 0), bytes());
});

Deno.test("ownBytes copies a view into a larger buffer and keeps a whole buffer as is", () => {
  const body = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const part = ownBytes(body.subarray(2, 4));
  assertEquals(part.buffer.byteLength, 2);
  assertEquals(part, new Uint8Array([3, 4]));
  assertEquals(ownBytes(body) === body, true);
});
