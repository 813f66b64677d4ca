import { assertEquals } from "../tests/support/assert.ts";
import { isGzip, sniffProfile } from "./sniff.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("isGzip checks the magic bytes", () => {
  assertEquals(isGzip(new Uint8Array([0x1f, 0x8b])), true);
  assertEquals(isGzip(new Uint8Array([0x1f])), false);
  assertEquals(isGzip(new Uint8Array([0x8b, 0x1f, 0])), false);
});

Deno.test("sniffProfile: the docs/spec/pyroscope-wire.md §8.5 heuristics, in order", () => {
  const cases: [Uint8Array, string | undefined][] = [
    [new Uint8Array(0), "empty body"],
    [text("  \n<!DOCTYPE html><html>"), "looks like HTML, not a profile"],
    [text("<!doctype html>..."), "looks like HTML, not a profile"],
    [text("<html><body>x</body></html>"), "looks like HTML, not a profile"],
    [text("<Body>xxxxxxxxxx"), "looks like HTML, not a profile"],
    [text("<title>404</title>"), "looks like HTML, not a profile"],
    [text('  {"error": "not a profile at all"}'), "looks like JSON, not a profile"],
    [text("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"), "looks like JSON, not a profile"],
    // Short bodies skip the text heuristics; "<" (0x3c) and "{" (0x7b) carry protobuf wire
    // types 4 and 3, which Alloy's first-byte check lets through.
    [text("<html>"), undefined],
    [text('{"a":1}'), undefined],
    // The JSON check needs more than 20 bytes.
    [text("{ 'short': 12345 }"), undefined],
    [text("not a profile"), "neither gzip nor protobuf"], // "n" = 0x6e, wire type 6
    [new Uint8Array([0x0a, 0x00]), "too short to be a profile"],
    [new Uint8Array([0x1f, 0x8b, 0x08]), undefined],
    [new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]), undefined],
    [new Uint8Array([0x0f, 0x00, 0x00]), "neither gzip nor protobuf"],
    [new Uint8Array([0x0d, 0x00, 0x00]), undefined], // wire type 5 (fixed32)
  ];
  for (const [bytes, expected] of cases) {
    assertEquals(sniffProfile(bytes), expected, new TextDecoder().decode(bytes));
  }
});
