/**
 * Prometheus `hashmod`: MD5 of the UTF-8 source value, bytes 8–15 read as a big-endian
 * unsigned 64-bit integer, modulo `modulus` (spec relabel.md §8). BigInt because the value
 * is usually above 2^53. MD5 is computed here in plain JavaScript: `node:crypto`'s
 * `createHash` costs microseconds per call in Deno, which would dominate uncached relabeling.
 *
 * @example
 * ```ts
 * import { hashmod } from "./hashmod.ts";
 * hashmod("baz", 1000n); // "976"
 * ```
 * @module
 */

const encoder = new TextEncoder();
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

let buffer = new Uint8Array(256);
const words = new Int32Array(16);

/** MD5 of `bytes`, as the four little-endian state words A, B, C, D. */
function md5Words(bytes: Uint8Array, length: number): [number, number, number, number] {
  const padded = ((length + 8) >>> 6) * 64 + 64;
  if (buffer.length < padded) buffer = new Uint8Array(padded * 2);
  if (bytes !== buffer) buffer.set(bytes.subarray(0, length));
  buffer.fill(0, length, padded);
  buffer[length] = 0x80;
  const view = new DataView(buffer.buffer, 0, padded);
  view.setUint32(padded - 8, (length * 8) >>> 0, true);
  view.setUint32(padded - 4, Math.floor(length / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  for (let offset = 0; offset < padded; offset += 64) {
    for (let i = 0; i < 16; i++) words[i] = view.getInt32(offset + 4 * i, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const s = S[(i >>> 4) * 4 + (i & 3)]!;
      const sum = (a + f + K[i]! + words[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return [a0, b0, c0, d0];
}

function byteSwap(word: number): bigint {
  return BigInt(
    (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) |
      (word >>> 24)) >>> 0,
  );
}

/** The digest of `text` (UTF-8) as 16 bytes; exported for tests. */
export function md5(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  md5Words(bytes, bytes.length).forEach((word, i) => view.setInt32(4 * i, word, true));
  return out;
}

/** The decimal string of `md5(value)[8:16] mod modulus`; `modulus` must be non-zero. */
export function hashmod(value: string, modulus: bigint): string {
  if (buffer.length < value.length * 3 + 72) buffer = new Uint8Array(value.length * 3 + 72);
  const { written } = encoder.encodeInto(value, buffer);
  const [, , c, d] = md5Words(buffer, written);
  return (((byteSwap(c) << 32n) | byteSwap(d)) % modulus).toString();
}
