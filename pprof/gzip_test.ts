import { gzipSync } from "fflate";
import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import {
  gunzip,
  GunzipError,
  gunzipIfNeeded,
  gzip,
  GzipCorruptError,
  GzipTooLargeError,
  inOwnTurn,
} from "./gzip.ts";
import { isGzip } from "./sniff.ts";

function bytesOf(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31) & 0xff;
  return out;
}

Deno.test("gzip output is gzip and gunzips back", () => {
  const plain = bytesOf(1 << 20);
  const packed = gzip(plain);
  assert(isGzip(packed));
  assertEquals(gunzipIfNeeded(packed, 2 << 20), plain);
});

Deno.test("non-gzip bytes are returned as is, without a copy", () => {
  const plain = bytesOf(100);
  assert(gunzipIfNeeded(plain, 10) === plain);
});

Deno.test("output above the cap is refused with a message naming the limit", () => {
  const packed = gzip(new Uint8Array(10 << 20)); // 10 MiB of zeros: a small bomb
  assertThrows(() => gunzipIfNeeded(packed, 1 << 20), GunzipError, "1048576 bytes");
  assertEquals(gunzipIfNeeded(packed, 10 << 20).length, 10 << 20);
});

Deno.test("corrupt or truncated gzip is a GunzipError", () => {
  const packed = gzipSync(bytesOf(50_000), { level: 6 });
  assertThrows(() => gunzipIfNeeded(packed.subarray(0, 40), 1 << 20), GunzipError);
  const corrupt = packed.slice();
  corrupt.fill(0xff, 12, 40);
  assertThrows(() => gunzipIfNeeded(corrupt, 1 << 20), GunzipError);
});

Deno.test("concatenated gzip members are all decompressed", () => {
  const a = gzip(new TextEncoder().encode("hello "));
  const b = gzip(new TextEncoder().encode("world"));
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  assertEquals(new TextDecoder().decode(gunzipIfNeeded(both, 100)), "hello world");
});

Deno.test("gunzip: typed errors carry the limit and the cause", () => {
  const bomb = gzip(new Uint8Array(1 << 20));
  const tooLarge = assertThrows(
    () => gunzip(bomb, { maxBytes: 1000 }),
    GzipTooLargeError,
    "Decompressed data exceeds the limit of 1000 bytes",
  ) as GzipTooLargeError;
  assertEquals(tooLarge.maxBytes, 1000);
  assertEquals(gunzip(bomb, { maxBytes: Infinity }).length, 1 << 20);
  assertEquals(gunzip(bomb, { maxBytes: 1 << 20 }).length, 1 << 20);
  const corrupt = assertThrows(
    () => gunzip(bomb.subarray(0, 12), { maxBytes: 1000 }),
    GzipCorruptError,
    "Invalid gzip data: ",
  ) as GzipCorruptError;
  assertEquals(corrupt.cause instanceof Error, true);
  // Not gzip at all (no magic): gunzip refuses, gunzipIfNeeded passes it through.
  const plain = new TextEncoder().encode("plain text");
  assertThrows(() => gunzip(plain, { maxBytes: 1000 }), GzipCorruptError);
  assertEquals(gunzipIfNeeded(plain, 1000), plain);
  assertEquals(new GzipTooLargeError(1) instanceof GunzipError, true);
});

Deno.test("transient gunzip sizes its buffer from the trailer, and a lying trailer changes nothing else", () => {
  const plain = bytesOf(300_000);
  const packed = gzip(plain);
  assertEquals(gunzip(packed, { maxBytes: 1 << 20, transient: true }), plain);
  // One buffer of the trailer's size, not 16 KiB chunks joined.
  assertEquals(gunzip(packed, { maxBytes: 1 << 20, transient: true }).buffer.byteLength, 300_064);
  const lying = (isize: number) => {
    const copy = packed.slice();
    new DataView(copy.buffer).setUint32(copy.byteLength - 4, isize, true);
    return copy;
  };
  // A trailer claiming less, or more, than the data: zlib's own check refuses it, the cap holds.
  assertThrows(
    () => gunzip(lying(20_000), { maxBytes: 1 << 20, transient: true }),
    GzipCorruptError,
  );
  assertThrows(
    () => gunzip(lying(0xffffffff), { maxBytes: 1 << 20, transient: true }),
    GzipCorruptError,
  );
  assertThrows(() => gunzip(packed, { maxBytes: 100_000, transient: true }), GzipTooLargeError);
});

Deno.test("inOwnTurn: heavy jobs run one at a time, each in a turn of its own, timers in between", async () => {
  const order: string[] = [];
  const jobs = [1, 2, 3].map((n) =>
    inOwnTurn(() => {
      order.push(`job ${n}`);
      // A timer that falls due during a job runs before the next job starts.
      setTimeout(() => order.push(`timer after job ${n}`), 0);
      return n;
    })
  );
  assertEquals(await Promise.all(jobs), [1, 2, 3]);
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(order, [
    "job 1",
    "timer after job 1",
    "job 2",
    "timer after job 2",
    "job 3",
    "timer after job 3",
  ]);
});
