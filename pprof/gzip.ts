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

/** Base class of the errors {@linkcode gunzip} throws; match the subclasses with `instanceof`. */
export class GunzipError extends Error {
  override readonly name: string = "GunzipError";
}

/** The decompressed output would be larger than `maxBytes`. */
export class GzipTooLargeError extends GunzipError {
  override readonly name = "GzipTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`Decompressed data exceeds the limit of ${maxBytes} bytes`);
  }
}

/** The input is not valid gzip: bad header, corrupt, truncated or failing its CRC. */
export class GzipCorruptError extends GunzipError {
  override readonly name = "GzipCorruptError";
  constructor(override readonly cause: unknown) {
    super(`Invalid gzip data: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** Options of {@linkcode gunzip}. */
export interface GunzipOptions {
  /** Largest decompressed size accepted; `Infinity` for no cap. */
  readonly maxBytes: number;
  /**
   * The output is dropped before the caller returns (the client-side delta): decompress into
   * one buffer sized from the gzip trailer's length (capped at 16 MiB and `maxBytes`) instead of
   * 16 KiB chunks joined at the end. A lying trailer only changes that buffer's size, which is
   * why this is not for output that is kept.
   */
  readonly transient?: boolean;
}

/** Upper bound of the one output buffer of a transient gunzip. */
const TRANSIENT_CHUNK_MAX = 16 << 20;

/** zlib's chunk size for `bytes`: the trailer's ISIZE (mod 2^32) plus room for its end. */
function chunkSizeHint(bytes: Uint8Array, maxBytes: number): number | undefined {
  if (bytes.byteLength < 18) return undefined;
  const at = bytes.byteLength - 4;
  const isize = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) |
    (bytes[at + 3]! << 24)) >>> 0;
  const size = Math.min(isize + 64, maxBytes + 64, TRANSIENT_CHUNK_MAX);
  return size > 16 * 1024 ? size : undefined;
}

function view(buffer: Uint8Array): Uint8Array {
  // Node's Buffer is a Uint8Array subclass; hand out a plain view of the same memory.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Decompresses gzip `bytes` (all concatenated members), on native zlib with the output capped
 * so a small gzip bomb cannot blow up memory. Throws {@linkcode GzipTooLargeError} when the
 * output would exceed `maxBytes`, {@linkcode GzipCorruptError} when the input is not valid gzip.
 */
export function gunzip(bytes: Uint8Array, { maxBytes, transient }: GunzipOptions): Uint8Array {
  const capped = Number.isFinite(maxBytes);
  const chunkSize = transient ? chunkSizeHint(bytes, maxBytes) : undefined;
  try {
    return view(gunzipSync(bytes, {
      ...(capped ? { maxOutputLength: Math.max(1, maxBytes) } : {}),
      ...(chunkSize ? { chunkSize } : {}),
    }));
  } catch (error) {
    // zlib refuses to grow its output past maxOutputLength with ERR_BUFFER_TOO_LARGE.
    if (capped && (error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new GzipTooLargeError(maxBytes);
    }
    throw new GzipCorruptError(error);
  }
}

/**
 * Returns `bytes` decompressed when they start with the gzip magic, else `bytes` itself
 * (no copy). Throws what {@linkcode gunzip} throws.
 */
export function gunzipIfNeeded(
  bytes: Uint8Array,
  maxBytes: number,
  options: { transient?: boolean } = {},
): Uint8Array {
  return isGzip(bytes) ? gunzip(bytes, { maxBytes, ...options }) : bytes;
}

/**
 * Compresses `bytes` as gzip. Level 1: profiles compress almost as well at level 1 as at 6
 * (they are mostly varints and repeated strings) and this runs on the hot path, so speed wins.
 */
export function gzip(bytes: Uint8Array): Uint8Array {
  return view(gzipSync(bytes, { level: constants.Z_BEST_SPEED }));
}

/** Resolves in a later turn of the event loop (a timer), letting timers and I/O run first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The heavy jobs waiting for their turn, one after the other. */
let heavyJobs: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` (CPU-heavy and synchronous, e.g. a large inflate) in a turn of the event loop of
 * its own: jobs run one at a time, each after a timer, so timers and I/O that became due while
 * one ran go before the next. Many large bodies arriving together then hold the loop for one
 * job at a time, not for all of them back to back.
 */
export function inOwnTurn<T>(work: () => T): Promise<T> {
  const run = heavyJobs.then(nextTurn).then(work);
  heavyJobs = run.catch(() => {});
  return run;
}

/** Output inflated at once before a job is sent to a turn of its own (a few ms of work). */
const QUICK_INFLATE_BYTES = 1 << 20;

/**
 * {@linkcode gunzip} bounded per turn of the event loop: output up to 1 MiB is inflated at once
 * (every ordinary profile); larger output is inflated again in a turn of its own
 * ({@linkcode inOwnTurn}), capped at `maxBytes`. So a request full of large (or bomb) bodies
 * holds the loop for one capped inflate at a time.
 */
export function gunzipInTurn(bytes: Uint8Array, options: GunzipOptions): Promise<Uint8Array> {
  const quick = Math.min(options.maxBytes, QUICK_INFLATE_BYTES);
  try {
    return Promise.resolve(gunzip(bytes, { maxBytes: quick }));
  } catch (error) {
    if (!(error instanceof GzipTooLargeError) || quick >= options.maxBytes) {
      return Promise.reject(error);
    }
  }
  return inOwnTurn(() => gunzip(bytes, options));
}
