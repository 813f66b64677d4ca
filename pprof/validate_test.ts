import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { gzip } from "./gzip.ts";
import { validateProfileBytes } from "./validate.ts";

const fixture = (name: string) => Deno.readFileSync(new URL(`./testdata/${name}`, import.meta.url));
const MiB = 1024 * 1024;

Deno.test("validate: real Go profiles pass, gzipped or not", async () => {
  const { gunzipSync } = await import("node:zlib");
  for (
    const name of [
      "cpu.pb.gz",
      "heap.pb.gz",
      "allocs.pb.gz",
      "goroutine.pb.gz",
      "block.pb.gz",
      "mutex.pb.gz",
    ]
  ) {
    const bytes = fixture(name);
    assertEquals(validateProfileBytes(bytes, 64 * MiB), undefined, name);
    assertEquals(validateProfileBytes(gunzipSync(bytes), 64 * MiB), undefined, `${name} raw`);
  }
});

Deno.test("validate: every truncation of a real profile is refused", async () => {
  const { gunzipSync } = await import("node:zlib");
  const raw = new Uint8Array(gunzipSync(fixture("heap.pb.gz")));
  const gz = fixture("heap.pb.gz");
  let refused = 0;
  for (let cut = 1; cut < gz.length; cut += Math.max(1, Math.floor(gz.length / 300))) {
    if (validateProfileBytes(gz.subarray(0, cut), 64 * MiB) !== undefined) refused++;
  }
  assert(refused >= 290, `${refused} gzip truncations refused`);
  // Raw truncations inside a field are refused; a cut exactly between fields can be valid.
  let rawRefused = 0;
  let tried = 0;
  for (let cut = 1; cut < raw.length; cut += 97) {
    tried++;
    if (validateProfileBytes(raw.subarray(0, cut), 64 * MiB) !== undefined) rawRefused++;
  }
  assert(rawRefused / tried > 0.9, `${rawRefused}/${tried} raw truncations refused`);
});

Deno.test("validate: bit flips in gzip data are caught by the CRC", () => {
  const gz = fixture("cpu.pb.gz");
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const copy = gz.slice();
    const at = 10 + Math.floor(Math.random() * (copy.length - 18));
    copy[at]! ^= 1 << (i % 8);
    if (validateProfileBytes(copy, 64 * MiB) !== undefined) refused++;
  }
  assertEquals(refused, 200);
});

Deno.test("validate: messages name the problem", () => {
  assertStringIncludes(
    validateProfileBytes(new Uint8Array([0x0a, 0x09, 0x08]), MiB)!,
    "runs past the end",
  );
  assertStringIncludes(
    validateProfileBytes(new Uint8Array([0x32, 0x01, 0x41]), MiB)!,
    'string_table[0] must be ""',
  );
  assertStringIncludes(validateProfileBytes(new Uint8Array([0x48, 0x01]), MiB)!, "no sample_type");
  assertStringIncludes(
    validateProfileBytes(new Uint8Array([0x4f, 0x01, 0x02]), MiB)!,
    "invalid wire type 7",
  );
  assertStringIncludes(
    validateProfileBytes(new Uint8Array([0x08, 0x01]), MiB)!,
    "expected a length-delimited",
  );
  assertStringIncludes(validateProfileBytes(gzip(new Uint8Array(2 * MiB)), MiB)!, "larger than");
  assertStringIncludes(
    validateProfileBytes(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2]), MiB)!,
    "gzip data is corrupt",
  );
});
