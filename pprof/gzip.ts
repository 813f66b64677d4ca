/**
 * gzip helpers for profile bytes (fflate, synchronous). Decompression is capped so a small
 * gzip bomb cannot blow up memory: output is produced in chunks and abandoned as soon as it
 * passes the cap.
 *
 * @example
 * ```ts
 * import { gunzipIfNeeded, gzip } from "./gzip.ts";
 * const plain = new TextEncoder().encode("hello");
 * gunzipIfNeeded(gzip(plain), 1024); // the 5 bytes of "hello" again
 * gunzipIfNeeded(plain, 1024) === plain; // true: not gzipped, returned as is
 * ```
 * @module
 */

import { Gunzip, gzipSync } from "fflate";
import { isGzip } from "./sniff.ts";

/** Thrown when decompressed data would exceed the configured cap, or is not valid gzip. */
export class GunzipError extends Error {
  override readonly name = "GunzipError";
}

/** Input is fed to the decompressor in slices of this size so the cap stops it early. */
const INPUT_SLICE = 256 * 1024;

/**
 * Returns `bytes` decompressed when they start with the gzip magic, else `bytes` itself
 * (no copy). Concatenated gzip members are all decompressed. Throws {@linkcode GunzipError}
 * when the output would exceed `maxBytes` or the stream is corrupt or truncated.
 */
export function gunzipIfNeeded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let over = false;
  let memberBytes = 0;
  const stream = new Gunzip((chunk) => {
    total += chunk.length;
    memberBytes += chunk.length;
    if (total > maxBytes) over = true;
    else chunks.push(chunk);
  });
  // Called at the start of every member after the first.
  stream.onmember = () => {
    memberBytes = 0;
  };
  try {
    for (let offset = 0; offset < bytes.length && !over; offset += INPUT_SLICE) {
      const end = Math.min(bytes.length, offset + INPUT_SLICE);
      stream.push(bytes.subarray(offset, end), end === bytes.length);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new GunzipError(`invalid gzip data: ${message}`);
  }
  if (over) {
    throw new GunzipError(`decompressed profile exceeds the limit of ${maxBytes} bytes`);
  }
  // fflate's stream does not notice a cut-off input, so check the last member's ISIZE
  // trailer (its length mod 2^32) against what came out.
  const isize = bytes.length >= 18
    ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4)
      .getUint32(0, true)
    : -1;
  if (isize !== memberBytes % 4294967296) {
    throw new GunzipError("invalid gzip data: truncated stream or corrupt trailer");
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Compresses `bytes` as gzip. Level 1: profiles compress almost as well at level 1 as at 6
 * (they are mostly varints and repeated strings) and this runs on the hot path, so speed wins.
 */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 1 });
}
