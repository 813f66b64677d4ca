/**
 * gzip helpers for profile bytes, on the runtime's native zlib (`node:zlib`, 2–3× faster than
 * a JavaScript inflater). Decompression is capped (`maxOutputLength`) so a small gzip bomb
 * cannot blow up memory, and zlib checks each member's CRC and length, so a cut-off or
 * corrupt stream is an error.
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

import { constants, gunzipSync, gzipSync } from "node:zlib";
import { isGzip } from "./sniff.ts";

/** Thrown when decompressed data would exceed the configured cap, or is not valid gzip. */
export class GunzipError extends Error {
  override readonly name = "GunzipError";
}

function view(buffer: Uint8Array): Uint8Array {
  // Node's Buffer is a Uint8Array subclass; hand out a plain view of the same memory.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Returns `bytes` decompressed when they start with the gzip magic, else `bytes` itself
 * (no copy). Concatenated gzip members are all decompressed. Throws {@linkcode GunzipError}
 * when the output would exceed `maxBytes` or the stream is corrupt or truncated.
 */
export function gunzipIfNeeded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return view(gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/maxOutputLength|Cannot create a Buffer larger|buffer/i.test(message)) {
      throw new GunzipError(`decompressed profile exceeds the limit of ${maxBytes} bytes`);
    }
    throw new GunzipError(`invalid gzip data: ${message}`);
  }
}

/**
 * Compresses `bytes` as gzip. Level 1: profiles compress almost as well at level 1 as at 6
 * (they are mostly varints and repeated strings) and this runs on the hot path, so speed wins.
 */
export function gzip(bytes: Uint8Array): Uint8Array {
  return view(gzipSync(bytes, { level: constants.Z_BEST_SPEED }));
}
