/**
 * The compact form of delta state values: integers (the int64 values of a pprof profile, as
 * doubles) as sign-and-magnitude varints, usually 1–4 bytes each where a `Float64Array` takes 8.
 *
 * @example
 * ```ts
 * import { packValue, unpackValues } from "./packed_values.ts";
 * const bytes = new Uint8Array(20);
 * let end = packValue(300, bytes, 0);
 * end = packValue(-7, bytes, end);
 * const out = new Float64Array(2);
 * unpackValues(bytes.subarray(0, end), out, 2); // out: [300, -7]
 * ```
 * @module
 */

/** Most bytes {@linkcode packValue} writes for one value (a double's 64 bits, 6 + 7 × 8). */
export const MAX_PACKED_VALUE = 10;

/**
 * Writes integer `v` at `out[at]` as a sign-and-magnitude varint (6 magnitude bits and the
 * sign in the first byte, 7 bits in the next): exact for every integral double, since it only
 * takes remainders and quotients by powers of two. Returns the end.
 */
export function packValue(v: number, out: Uint8Array, at: number): number {
  let m = v < 0 ? -v : v;
  const sign = v < 0 ? 0x40 : 0;
  if (m < 0x40) {
    out[at] = m | sign;
    return at + 1;
  }
  out[at++] = (m % 0x40) | sign | 0x80;
  m = Math.floor(m / 0x40);
  // Below 2^31 (nearly always) with integer shifts; above, exact float arithmetic.
  while (m >= 0x80000000) {
    out[at++] = (m % 0x80) | 0x80;
    m = Math.floor(m / 0x80);
  }
  while (m >= 0x80) {
    out[at++] = (m & 0x7f) | 0x80;
    m >>>= 7;
  }
  out[at++] = m;
  return at;
}

/** Reads `n` values written by {@linkcode packValue} into `out`. */
export function unpackValues(bytes: Uint8Array, out: Float64Array, n: number): void {
  let p = 0;
  for (let i = 0; i < n; i++) {
    let b = bytes[p++]!;
    const negative = (b & 0x40) !== 0;
    let m = b & 0x3f;
    let scale = 0x40;
    while (b >= 0x80) {
      b = bytes[p++]!;
      m += (b & 0x7f) * scale;
      scale *= 0x80;
    }
    out[i] = negative ? -m : m;
  }
}
