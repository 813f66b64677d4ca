import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import protobuf from "protobufjs/minimal";
import {
  decodeProfile,
  emptyProfile,
  encodeProfile,
  type Profile,
  ProfileDecodeError,
} from "./profile.ts";
import { stringAt } from "../tests/support/pprof_strings.ts";
import { gunzipIfNeeded } from "./gzip.ts";

const fixtures = new URL("./testdata/", import.meta.url);

function fixture(name: string): Uint8Array {
  return gunzipIfNeeded(Deno.readFileSync(new URL(name, fixtures)), 64 << 20);
}

/** A profile touching every field, with values that need the full varint range. */
function fullProfile(): Profile {
  const p = emptyProfile();
  p.stringTable.push("alloc_space", "bytes", "main.f", "main.go", "/bin/app", "build", "k", "v");
  p.sampleType.push({ type: 1, unit: 2 });
  p.sample.push({
    locationId: [1, 2],
    value: [-5, 2 ** 40, 0],
    label: [{ key: 7, str: 8, num: 0, numUnit: 0 }, { key: 7, str: 0, num: -3, numUnit: 2 }],
  });
  p.mapping.push({
    id: 1,
    memoryStart: 0x400000,
    memoryLimit: 0x7fff_ffff_f000,
    fileOffset: 16,
    filename: 5,
    buildId: 6,
    hasFunctions: true,
    hasFilenames: false,
    hasLineNumbers: true,
    hasInlineFrames: true,
  });
  p.location.push({
    id: 1,
    mappingId: 1,
    address: 0x7fff_0000_1234,
    line: [{ functionId: 1, line: 12, column: 3 }],
    isFolded: true,
  });
  p.location.push({ id: 2, mappingId: 1, address: 0x401000, line: [], isFolded: false });
  p.function.push({ id: 1, name: 3, systemName: 3, filename: 4, startLine: 10 });
  p.dropFrames = 3;
  p.keepFrames = 4;
  p.timeNanos = 1_700_000_000_123_456_789;
  p.durationNanos = 10_000_000_000;
  p.periodType = { type: 1, unit: 2 };
  p.period = 524288;
  p.comment.push(1, 2);
  p.defaultSampleType = 1;
  p.docUrl = 3;
  return p;
}

Deno.test("encode then decode gives back every field", () => {
  const p = fullProfile();
  const decoded = decodeProfile(encodeProfile(p));
  // time_nanos is above 2^53: it survives as the nearest double, documented in profile.ts.
  assertEquals(decoded, p);
});

Deno.test("negative int64 values round-trip as 10-byte varints", () => {
  const p = emptyProfile();
  p.sample.push({ locationId: [], value: [-1, -(2 ** 52), -123456789], label: [] });
  assertEquals(decodeProfile(encodeProfile(p)).sample[0]!.value, [-1, -(2 ** 52), -123456789]);
});

Deno.test("unpacked repeated scalars decode like packed ones", () => {
  // Sample{location_id: 1, location_id: 2, value: 7, value: -1} written unpacked by hand.
  const w = protobuf.Writer.create();
  w.uint32(0x12).fork();
  w.uint32(0x08).uint64(1).uint32(0x08).uint64(2);
  w.uint32(0x10).int64(7).uint32(0x10).int64(-1);
  w.ldelim();
  w.uint32(0x32).string("");
  w.uint32(0x68).int64(9); // comment, unpacked
  const p = decodeProfile(w.finish());
  assertEquals(p.sample[0], { locationId: [1, 2], value: [7, -1], label: [] });
  assertEquals(p.comment, [9]);
});

Deno.test("unknown fields are skipped", () => {
  const w = protobuf.Writer.create();
  w.uint32((99 << 3) | 2).string("future field");
  w.uint32((98 << 3) | 0).uint64(5);
  w.uint32(0x48).int64(42);
  assertEquals(decodeProfile(w.finish()).timeNanos, 42);
});

Deno.test("an empty message decodes to an empty profile with the mandatory empty string", () => {
  assertEquals(decodeProfile(new Uint8Array(0)), emptyProfile());
});

Deno.test("truncated and malformed input is rejected with ProfileDecodeError", () => {
  const bytes = encodeProfile(fullProfile());
  for (const cut of [1, 7, bytes.length - 3]) {
    assertThrows(() => decodeProfile(bytes.subarray(0, cut)), ProfileDecodeError);
  }
  assertThrows(() => decodeProfile(new Uint8Array([0x0f, 0x00])), ProfileDecodeError, "wire type");
  const w = protobuf.Writer.create();
  w.uint32(0x32).string("not empty");
  assertThrows(() => decodeProfile(w.finish()), ProfileDecodeError, "string_table[0]");
});

Deno.test("stringAt names the field with a bad index", () => {
  const p = emptyProfile();
  assertEquals(stringAt(p, 0, "x"), "");
  assertThrows(() => stringAt(p, 5, "function.name"), ProfileDecodeError, "function.name");
});

const expectedTypes: Record<string, string[]> = {
  "heap.pb.gz": [
    "alloc_objects/count",
    "alloc_space/bytes",
    "inuse_objects/count",
    "inuse_space/bytes",
  ],
  "allocs.pb.gz": [
    "alloc_objects/count",
    "alloc_space/bytes",
    "inuse_objects/count",
    "inuse_space/bytes",
  ],
  "block.pb.gz": ["contentions/count", "delay/nanoseconds"],
  "mutex.pb.gz": ["contentions/count", "delay/nanoseconds"],
  "goroutine.pb.gz": ["goroutine/count"],
  "cpu.pb.gz": ["samples/count", "cpu/nanoseconds"],
};

for (const [name, types] of Object.entries(expectedTypes)) {
  Deno.test(`real Go ${name} decodes, and re-encodes to the same profile`, () => {
    const bytes = fixture(name);
    const p = decodeProfile(bytes);
    assertEquals(
      p.sampleType.map((t) => `${stringAt(p, t.type, "type")}/${stringAt(p, t.unit, "unit")}`),
      types,
    );
    assert(p.location.length > 0, "has locations");
    assert(p.function.length > 0, "has functions");
    assert(p.timeNanos > 1_600_000_000e9, "time_nanos is a plausible wall clock");
    for (const s of p.sample) {
      assertEquals(s.value.length, types.length);
      for (const id of s.locationId) assert(p.location.some((l) => l.id === id));
    }
    assertEquals(decodeProfile(encodeProfile(p)), p);
  });
}

Deno.test("varint boundaries round-trip in packed and single fields", () => {
  const edges = [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1];
  const p = emptyProfile();
  p.sample.push({ locationId: edges, value: [...edges, ...edges.map((v) => -v - 1)], label: [] });
  p.location.push({ id: 2 ** 40, mappingId: 0, address: 2 ** 53 - 1, line: [], isFolded: false });
  const decoded = decodeProfile(encodeProfile(p));
  assertEquals(decoded.sample[0], p.sample[0]);
  assertEquals(decoded.location[0], p.location[0]);
});
