/**
 * Deadlines across hops, the one place they are read and written: Connect's
 * `Connect-Timeout-Ms` header (ASCII digits, at most 10, the milliseconds the caller gives the
 * call). A receiver turns an incoming header into an absolute deadline
 * ({@linkcode incomingDeadline}); a writer formats what is left of its own
 * ({@linkcode formatTimeoutMs}). `/ingest` has no deadline header in Pyroscope's conventions,
 * and the same Connect header is read and sent there too, so a profcol chain keeps its deadline
 * on both routes; other servers ignore an unknown header.
 *
 * @example
 * ```ts
 * import { formatTimeoutMs, incomingDeadline } from "./deadline.ts";
 * incomingDeadline(new Headers({ "connect-timeout-ms": "2500" }), 1_000); // 3500
 * formatTimeoutMs(2499.7); // "2499"
 * ```
 * @module
 */

import { HttpError } from "../http/server.ts";

/** The header, lower-case as `Headers` gives it. */
export const TIMEOUT_HEADER = "connect-timeout-ms";

/** Connect allows at most 10 digits. */
const MAX_DIGITS = 10;

/** The status and reason of a request whose deadline cannot be met (Connect `deadline_exceeded`). */
export const DEADLINE_STATUS = 504;
export const DEADLINE_REASON = "deadline_exceeded";

/**
 * The absolute deadline (epoch ms) a request carries, or `undefined` without the header.
 * Throws {@linkcode HttpError} 400 naming the header when it is not 1–10 ASCII digits.
 */
export function incomingDeadline(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get(TIMEOUT_HEADER);
  if (value === null) return undefined;
  if (!/^[0-9]+$/.test(value) || value.length > MAX_DIGITS) {
    throw new HttpError(
      400,
      `invalid Connect-Timeout-Ms ${JSON.stringify(value)}: want 1 to ${MAX_DIGITS} ASCII digits`,
      "bad_timeout",
    );
  }
  return now + Number(value);
}

/**
 * The header value for `ms` left: whole milliseconds rounded down (a peer must never think it
 * has more time than there is); `undefined` when nothing is left or it needs more than 10 digits.
 */
export function formatTimeoutMs(ms: number): string | undefined {
  const whole = Math.floor(ms);
  if (!(whole >= 1)) return undefined;
  const text = String(whole);
  return text.length > MAX_DIGITS ? undefined : text;
}

/**
 * How long before its deadline a request is answered when the deadline cannot be met, so the
 * answer reaches the caller before its own timer fires: a tenth of the time given, at most 100 ms.
 */
export function answerMarginMs(timeoutMs: number): number {
  return Math.min(100, Math.max(0, timeoutMs) / 10);
}

/** The refusal of a request whose deadline passes (or would) before it is queued. */
export function deadlineExceeded(timeoutMs: number): HttpError {
  return new HttpError(
    DEADLINE_STATUS,
    `request deadline of ${timeoutMs} ms (Connect-Timeout-Ms) passed before it was queued`,
    DEADLINE_REASON,
  );
}
