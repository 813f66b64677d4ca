/**
 * Reads a request body into one buffer with every limit a listening component needs against
 * large and slow clients: a byte limit enforced while reading (a declared `Content-Length` over
 * it is refused unread, and reading stops as soon as the limit is passed), a deadline for the
 * whole body (`server_read_timeout`), and a minimum rate (`server_min_body_rate` after
 * `server_min_body_rate_grace`), so a client trickling a few bytes a second is cut with 408
 * instead of holding an in-flight slot for the whole read timeout.
 *
 * While it reads, the request's {@linkcode BodyProgress} (its in-flight slot, see
 * `request_gate.ts`) shows how many bytes arrived, and can be cut by the gate.
 *
 * @example
 * ```ts
 * import { readBody } from "./read_body.ts";
 * const request = new Request("http://x/", { method: "POST", body: "abc" });
 * const body = await readBody(request, { maxBytes: 16, timeoutMs: 1000 });
 * body.byteLength; // 3
 * ```
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { HttpError } from "./server.ts";

/** How far a body read has come; the request gate reads it and may cut the read. */
export interface BodyProgress {
  /** When the request took its slot (`performance.now()`). */
  readonly started: number;
  /** Body bytes received so far. */
  received: number;
  /** Set while the body is read: stops the read with `error` (the gate's eviction). */
  cut: ((error: HttpError) => void) | undefined;
}

/** Options of {@linkcode readBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted, in bytes; larger → 413 (checked while reading). 0 = no limit. */
  readonly maxBytes: number;
  /** Deadline for the whole body (`server_read_timeout`); slower → 408. 0 = none. */
  readonly timeoutMs: number;
  /** Slowest average rate accepted after the grace period, bytes/s; slower → 408. 0 = none. */
  readonly minBytesPerSecond?: number;
  /** Time before the minimum rate applies, in milliseconds. */
  readonly minRateGraceMs?: number;
  /** Aborts the read (server shutdown) → 503. */
  readonly signal?: AbortSignal;
  /** The request's slot, updated while reading. */
  readonly progress?: BodyProgress;
}

/** Whether a read `elapsedMs` old with `received` bytes is below the minimum rate. */
export function belowMinimumRate(
  received: number,
  elapsedMs: number,
  minBytesPerSecond: number,
  graceMs: number,
): boolean {
  return minBytesPerSecond > 0 && elapsedMs >= graceMs &&
    received < minBytesPerSecond * elapsedMs / 1000;
}

function tooLarge(maxBytes: number, declared?: string): HttpError {
  return new HttpError(
    413,
    declared === undefined
      ? `request body is larger than the limit of ${maxBytes} bytes`
      : `request body of ${declared} bytes is larger than the limit of ${maxBytes} bytes`,
    "body_too_large",
  );
}

/**
 * Reads `request`'s body. Throws {@linkcode HttpError}: 413 `body_too_large`, 408
 * `read_timeout` (deadline) or `body_too_slow` (minimum rate, or the gate gave the slot to
 * another request), 400 `read_error`, 503 `shutdown`.
 */
export async function readBody(request: Request, options: ReadBodyOptions): Promise<Uint8Array> {
  const { maxBytes } = options;
  const declared = request.headers.get("content-length");
  if (maxBytes > 0 && declared !== null && Number(declared) > maxBytes) {
    throw tooLarge(maxBytes, declared);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  let failure: HttpError | undefined;
  const stop = (error: HttpError) => {
    failure ??= error;
    reader.cancel(error).catch(() => {});
  };
  const progress = options.progress ?? { started: performance.now(), received: 0, cut: undefined };
  progress.cut = stop;
  const timers = watchRate(progress, options, stop);
  const onAbort = () => stop(new HttpError(503, "server is shutting down", "shutdown"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (failure) throw failure;
      if (done) break;
      if (maxBytes > 0 && total + value.byteLength > maxBytes) {
        stop(tooLarge(maxBytes));
        throw failure;
      }
      // Chunks are joined at the end: a declared length is not trusted for an allocation
      // up front (a trickling client would hold it all while sending nothing).
      chunks.push(value);
      total += value.byteLength;
      progress.received = total;
    }
  } catch (error) {
    if (failure) throw failure;
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `reading request body: ${(error as Error).message}`, "read_error");
  } finally {
    timers.stop();
    progress.cut = undefined;
    options.signal?.removeEventListener("abort", onAbort);
  }
  return concatBytes(chunks, total);
}

/** The deadline and minimum-rate timers of one read. */
function watchRate(
  progress: BodyProgress,
  options: ReadBodyOptions,
  stop: (error: HttpError) => void,
): { stop(): void } {
  const { timeoutMs } = options;
  const minRate = options.minBytesPerSecond ?? 0;
  const graceMs = options.minRateGraceMs ?? 0;
  const deadline = timeoutMs > 0
    ? setTimeout(() =>
      stop(
        new HttpError(
          408,
          `request body not received within ${timeoutMs}ms (server_read_timeout)`,
          "read_timeout",
        ),
      ), timeoutMs)
    : undefined;
  // Checked once a second (and at the end of the grace period): the rate is an average.
  const rateCheck = minRate > 0
    ? setInterval(() => {
      const elapsed = performance.now() - progress.started;
      if (belowMinimumRate(progress.received, elapsed, minRate, graceMs)) {
        stop(
          new HttpError(
            408,
            `request body arrived slower than ${minRate} bytes/s ` +
              `(${progress.received} bytes in ${Math.round(elapsed)}ms; server_min_body_rate)`,
            "body_too_slow",
          ),
        );
      }
    }, Math.max(100, Math.min(1000, graceMs)))
    : undefined;
  return {
    stop() {
      clearTimeout(deadline);
      clearInterval(rateCheck);
    },
  };
}
