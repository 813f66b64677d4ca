/**
 * Prometheus `hashmod`: MD5 of the UTF-8 source value, bytes 8–15 read as a big-endian
 * unsigned 64-bit integer, modulo `modulus` (spec relabel.md §8). BigInt because the value
 * is usually above 2^53.
 *
 * @example
 * ```ts
 * import { hashmod } from "./hashmod.ts";
 * hashmod("baz", 1000n); // "976"
 * ```
 * @module
 */

import { createHash } from "node:crypto";

/** The decimal string of `md5(value)[8:16] mod modulus`; `modulus` must be non-zero. */
export function hashmod(value: string, modulus: bigint): string {
  const digest = createHash("md5").update(value, "utf8").digest();
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  return (view.getBigUint64(8, false) % modulus).toString();
}
