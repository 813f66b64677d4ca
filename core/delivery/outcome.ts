/**
 * What became of one delivery attempt, and the retry classification of docs/spec/pyroscope-wire.md §4.4 with the
 * quirks ARCHITECTURE §8 fixes: a 400 is never retried (JSON or not), a non-JSON 429 obeys
 * `retry_on_http_429` like a JSON one, any 2xx on the ingest path is success, and a 501 is
 * not retried.
 *
 * @example
 * ```ts
 * import { classifyConnectResponse } from "./outcome.ts";
 * classifyConnectResponse(503, "application/json", '{"code":"unavailable"}', null, true).kind; // "retry"
 * classifyConnectResponse(400, "text/plain", "bad", null, true).kind; // "drop"
 * ```
 * @module
 */

import { type ConnectCode, connectCodeFromHttpStatus, parseConnectError } from "../wire/connect.ts";
import { parseRetryAfter } from "./backoff.ts";
import { httpStatusCause, rootCause } from "../root_cause.ts";

/** The request was delivered. */
export interface Delivered {
  readonly kind: "ok";
}

/** A transient failure: try again after the backoff (or `retryAfterMs` when the server said). */
export interface Retry {
  readonly kind: "retry";
  /** Short, bounded reason for metrics and logs, e.g. `http_503`, `timeout`, `connect_error`. */
  readonly reason: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

/** A permanent failure: drop what was sent, counting `reason`. */
export interface Drop {
  readonly kind: "drop";
  readonly reason: string;
  readonly message: string;
  /**
   * The refusal may come from one item of a multi-item batch (bad profile, size limit): send
   * the items one by one so only the bad one is dropped.
   */
  readonly splittable: boolean;
}

/** The result of one attempt. */
export type Outcome = Delivered | Retry | Drop;

/** The success outcome. */
export const DELIVERED: Delivered = Object.freeze({ kind: "ok" });

const RETRYABLE_CODES: ReadonlySet<ConnectCode> = new Set<ConnectCode>([
  "deadline_exceeded",
  "unknown",
  "internal",
  "unavailable",
  "data_loss",
  "aborted",
]);

/** Statuses where one item of a batch may be at fault (docs/spec/pyroscope-wire.md §7.2–7.5). */
function splittableStatus(status: number): boolean {
  return status === 400 || status === 413 || status === 422 || status === 500;
}

/**
 * Classifies the response to a Connect unary call (`pyroscope.write` Push). `body` is the
 * response text (only read for errors; callers read at most a few KiB).
 */
export function classifyConnectResponse(
  status: number,
  contentType: string | null,
  body: string,
  retryAfter: string | null,
  retryOn429: boolean,
): Outcome {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (status === 200) {
    if (type === "application/proto" || type === "application/x-protobuf") return DELIVERED;
    // A 200 that is not a Connect answer (a captive proxy's page) did not reach Pyroscope.
    return {
      kind: "retry",
      reason: "bad_content_type",
      message: `HTTP 200 with Content-Type ${
        JSON.stringify(contentType ?? "")
      }, not application/proto`,
    };
  }
  const isJson = type === "application/json";
  const parsed = isJson
    ? parseConnectError(status, body)
    : { code: connectCodeFromHttpStatus(status), message: body };
  const message = httpStatusCause(status, parsed.message, parsed.code);
  if (status === 429 || parsed.code === "resource_exhausted") {
    return retryOn429
      ? { kind: "retry", reason: "http_429", message, retryAfterMs: parseRetryAfter(retryAfter) }
      : { kind: "drop", reason: "http_429", message, splittable: false };
  }
  if (status === 400 || status === 501) {
    return { kind: "drop", reason: `http_${status}`, message, splittable: status === 400 };
  }
  if (status === 408 || status === 502 || status === 503 || status === 504) {
    return {
      kind: "retry",
      reason: `http_${status}`,
      message,
      retryAfterMs: retryAfterFor(status, retryAfter),
    };
  }
  // A JSON code decides; without one, only server-side statuses are worth another try (a 3xx
  // or an unexpected 4xx would fail the same way again).
  const retryable = isJson && hasJsonCode(body) ? RETRYABLE_CODES.has(parsed.code) : status >= 500;
  if (retryable) {
    return {
      kind: "retry",
      reason: `http_${status}`,
      message,
      retryAfterMs: retryAfterFor(status, retryAfter),
    };
  }
  return {
    kind: "drop",
    reason: `http_${status}`,
    message,
    splittable: splittableStatus(status),
  };
}

/**
 * Classifies the response to a legacy `/ingest` forward: success is any 2xx (Alloy demands
 * exactly 200); 408, 429 (when `retryOn429`) and 5xx other than 501 are retried.
 */
export function classifyIngestResponse(
  status: number,
  body: string,
  retryAfter: string | null,
  retryOn429: boolean,
): Outcome {
  if (status >= 200 && status < 300) return DELIVERED;
  const message = httpStatusCause(status, body);
  if (status === 429) {
    return retryOn429
      ? { kind: "retry", reason: "http_429", message, retryAfterMs: parseRetryAfter(retryAfter) }
      : { kind: "drop", reason: "http_429", message, splittable: false };
  }
  if (status === 408 || (status >= 500 && status !== 501)) {
    return {
      kind: "retry",
      reason: `http_${status}`,
      message,
      retryAfterMs: retryAfterFor(status, retryAfter),
    };
  }
  return { kind: "drop", reason: `http_${status}`, message, splittable: false };
}

/**
 * Classifies an error thrown by `fetch`: a timeout, a refused or reset connection, DNS…; the
 * message is the root cause (`core/root_cause.ts`), e.g. `timeout after 10s (remote_timeout)`.
 */
export function classifyTransportError(
  error: unknown,
  timedOut: boolean,
  timeoutMs?: number,
): Retry {
  const message = rootCause(error, { timedOut, timeoutMs, timeoutSetting: "remote_timeout" });
  return timedOut
    ? { kind: "retry", reason: "timeout", message }
    : { kind: "retry", reason: "connect_error", message };
}

function hasJsonCode(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === "object" && "code" in parsed;
  } catch {
    return false;
  }
}

function retryAfterFor(status: number, header: string | null): number | undefined {
  // 503 may carry Retry-After too (RFC 9110); honour it wherever it appears on a retry.
  return status === 503 || header !== null ? parseRetryAfter(header) : undefined;
}
