/**
 * The one mapping from a failed request to its answer, for every ingest receiver: the same
 * fault gets the same status, reason and `Retry-After` everywhere (a refusal's status is
 * admission's `refusalStatus`: 429 backpressure, 503 an unavailable spool, 413, 400). Reasons are the
 * vocabulary of admission (`refusalReason`: `queue_full`, `max_requests_in_flight`,
 * `too_large`, invalid-item reasons) plus the `reason` of an {@linkcode HttpError}
 * (`body_too_large`, `body_too_slow`, `unsupported_encoding`, …).
 *
 * @example
 * ```ts
 * import { BackpressureError } from "../admission.ts";
 * import { answerOf } from "./refusal.ts";
 * answerOf(new BackpressureError("queue is full", 2));
 * // { status: 429, reason: "queue_full", message: "queue is full", headers: { "retry-after": "2" } }
 * ```
 * @module
 */

import { refusalReason, refusalStatus } from "../admission.ts";
import { HttpError } from "../http/server.ts";

/** How a failed request is answered. */
export interface FailureAnswer {
  readonly status: number;
  /** The metric label value. */
  readonly reason: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The answer to `error`, or `undefined` when it is not an expected refusal (an internal error). */
export function answerOf(error: unknown): FailureAnswer | undefined {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      reason: error.reason,
      message: error.message,
      headers: error.headers,
    };
  }
  const status = refusalStatus(error);
  if (status === undefined) return undefined;
  return {
    status: status.status,
    reason: refusalReason(error),
    message: (error as Error).message,
    headers: status.retryAfterSeconds === undefined
      ? {}
      : { "retry-after": String(status.retryAfterSeconds) },
  };
}

/** The one answer to a `Content-Encoding` the receivers cannot decode. */
export function unsupportedEncoding(encoding: string): HttpError {
  return new HttpError(
    415,
    `unsupported Content-Encoding ${JSON.stringify(encoding)}: supported are gzip, identity`,
    "unsupported_encoding",
    { "accept-encoding": "gzip, identity" },
  );
}

/** The answer to a request with more series than `max_series_per_request` allows. */
export function checkSeriesCount(count: number, limit: number, what = "series"): void {
  if (limit > 0 && count > limit) {
    throw new HttpError(
      413,
      `request carries more than ${limit} ${what} (max_series_per_request ${limit}); ` +
        "split it into smaller requests",
      "too_many_series",
    );
  }
}
