/**
 * Request-atomic admission: the one capacity API between receivers, the pipeline and exporter
 * queues.
 *
 * A receiver hands the pipeline a whole request (a Push with N series, one `/ingest` upload,
 * one scrape's profiles) and gets one answer. The pipeline asks every target queue to
 * {@linkcode Admission.reserve | reserve} room for its share; only when every reservation
 * succeeded are they all committed, otherwise every one is released and the caller gets the
 * typed refusal: {@linkcode BackpressureError} (HTTP 429, retry later), {@linkcode TooLargeError}
 * (413, can never fit) or {@linkcode InvalidItemError} (400, refused for good). So a caller
 * that was refused had nothing accepted anywhere, and its retry duplicates nothing.
 *
 * A reservation holds room (and, with a spool, the files already written) until it is
 * committed or released; commit cannot fail, so "all reserved" becomes "all queued".
 *
 * @example
 * ```ts
 * import { admit, type Admission, BackpressureError } from "./admission.ts";
 * import { LabelSet } from "./labels.ts";
 *
 * const held: string[] = [];
 * const tiny: Admission = {
 *   check(demand) {
 *     if (held.length + demand.items > 1) throw new BackpressureError("tiny is full");
 *   },
 *   reserve(items) {
 *     this.check({ items: items.length, bytes: 0 });
 *     return Promise.resolve({
 *       commit: () => held.push(...items.map((s) => s.item.labels.toString())),
 *       release: () => {},
 *     });
 *   },
 * };
 * const item = { kind: "push", labels: LabelSet.from({ a: "1" }), samples: [] } as const;
 * await admit(tiny, [item]);
 * let refused = false;
 * await admit(tiny, [item]).catch((error) => (refused = error instanceof BackpressureError));
 * if (held.length !== 1 || !refused) throw new Error("the second request must be refused");
 * ```
 * @module
 */

import { type Item, itemBytes, itemProfiles } from "./items.ts";

/** An item with its size computed once, as it travels from the pipeline to the queues. */
export interface SizedItem {
  readonly item: Item;
  /** Payload bytes ({@linkcode itemBytes}). */
  readonly bytes: number;
  /** Profiles carried ({@linkcode itemProfiles}). */
  readonly profiles: number;
}

/** Wraps an item with its size. */
export function sized(item: Item): SizedItem {
  return { item, bytes: itemBytes(item), profiles: itemProfiles(item) };
}

/** How much a request asks of a queue. */
export interface Demand {
  readonly items: number;
  readonly bytes: number;
}

/** The demand of a list of sized items, with the profiles they carry (for metrics). */
export function demandOf(items: readonly SizedItem[]): Demand & { readonly profiles: number } {
  let bytes = 0;
  let profiles = 0;
  for (const one of items) {
    bytes += one.bytes;
    profiles += one.profiles;
  }
  return { items: items.length, bytes, profiles };
}

/** Room held at one or more queues until {@linkcode commit} or {@linkcode release}. */
export interface Reservation {
  /** Queues what was reserved. Cannot fail; call once, and never after `release`. */
  commit(): void;
  /** Gives the room back and removes anything written ahead (spool files). Safe twice. */
  release(): void | Promise<void>;
}

/** The capacity API of a queue (an exporter, an endpoint of one, or a whole pipeline). */
export interface Admission {
  /**
   * Throws the refusal `demand` would get right now, without holding anything: a cheap,
   * synchronous look before the work of reading or decoding a request.
   */
  check(demand: Demand): void;
  /** Holds room for every item, or none: rejects with the typed refusal. */
  reserve(items: readonly SizedItem[]): Promise<Reservation>;
}

/**
 * Refused for now: a queue is full (or too many requests are in flight). Receivers answer 429
 * with `Retry-After`; `reason` is the metric label value (`queue_full` unless told otherwise,
 * e.g. `max_requests_in_flight`).
 */
export class BackpressureError extends Error {
  override readonly name: string = "BackpressureError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
    readonly reason: string = "queue_full",
  ) {
    super(message);
  }
}

/**
 * Refused for now because storage cannot take the request: a full or failing spool (disk full,
 * write error). Receivers answer 503 with `Retry-After` ({@linkcode refusalStatus}); nothing
 * was queued, and files written ahead were removed. A kind of backpressure, so a caller that
 * knows only {@linkcode BackpressureError} still retries later. `reason` is a metric label
 * value (`spool_no_space`, `spool_write_error`).
 */
export class UnavailableError extends BackpressureError {
  override readonly name: string = "UnavailableError";
  constructor(message: string, reason: string, retryAfterSeconds = 5) {
    super(message, retryAfterSeconds, reason);
  }
}

/** Refused for good: the request can never fit (larger than a queue). Receivers answer 413. */
export class TooLargeError extends Error {
  override readonly name = "TooLargeError";
  readonly reason = "too_large";
}

/**
 * Refused for good: an item would be rejected downstream (e.g. its labels break the server's
 * rules). Receivers answer 400 with the message; `reason` is a metric label value.
 */
export class InvalidItemError extends Error {
  override readonly name = "InvalidItemError";
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

/** A typed refusal: the caller was given nothing to retry or to fix. */
export type Refusal = BackpressureError | TooLargeError | InvalidItemError;

/** Whether `error` is one of the typed refusals. */
export function isRefusal(error: unknown): error is Refusal {
  return error instanceof BackpressureError || error instanceof TooLargeError ||
    error instanceof InvalidItemError;
}

/** The same refusal with `context` before its message (e.g. which exporter refused). */
export function refusalIn(context: string, error: unknown): unknown {
  if (error instanceof UnavailableError) {
    return new UnavailableError(
      `${context}: ${error.message}`,
      error.reason,
      error.retryAfterSeconds,
    );
  }
  if (error instanceof BackpressureError) {
    return new BackpressureError(
      `${context}: ${error.message}`,
      error.retryAfterSeconds,
      error.reason,
    );
  }
  if (error instanceof TooLargeError) return new TooLargeError(`${context}: ${error.message}`);
  if (error instanceof InvalidItemError) {
    return new InvalidItemError(`${context}: ${error.message}`, error.reason);
  }
  return error;
}

/**
 * The metric `reason` of a refusal, the one vocabulary of refusals from admission to the
 * receivers' answers: the refusal's own reason (`queue_full`, `max_requests_in_flight`,
 * `too_large`, an invalid-item reason such as `invalid_labels`), or `error` for anything else.
 */
export function refusalReason(error: unknown): string {
  return isRefusal(error) ? error.reason : "error";
}

/** The HTTP answer of a refusal: status, and the `Retry-After` seconds when it may pass. */
export interface RefusalStatus {
  readonly status: 400 | 413 | 429 | 503;
  readonly retryAfterSeconds?: number;
}

/**
 * The refusal → HTTP status mapping every receiver uses: backpressure 429 and an unavailable
 * spool 503 (both with `Retry-After`), too large 413, invalid 400; `undefined` for an error
 * that is not a refusal (a 500).
 */
export function refusalStatus(error: unknown): RefusalStatus | undefined {
  if (error instanceof BackpressureError) {
    const retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterSeconds));
    return { status: error instanceof UnavailableError ? 503 : 429, retryAfterSeconds };
  }
  if (error instanceof TooLargeError) return { status: 413 };
  if (error instanceof InvalidItemError) return { status: 400 };
  return undefined;
}

/**
 * Reserves at every part, all or none: when any part refuses, the reservations already made
 * are released and the most telling refusal is thrown (one that can never succeed before one
 * that may succeed later, so the caller does not retry in vain).
 */
export async function reserveAll(
  parts: readonly (() => Promise<Reservation>)[],
): Promise<Reservation> {
  if (parts.length === 1) return await parts[0]!();
  const results = await Promise.allSettled(parts.map((reserve) => reserve()));
  const held: Reservation[] = [];
  const errors: unknown[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") held.push(result.value);
    else errors.push(result.reason);
  }
  if (errors.length > 0) {
    await Promise.all(held.map((one) => one.release()));
    throw mostTelling(errors);
  }
  return combine(held);
}

/**
 * A reservation settled exactly once: the first `commit` or `release` gives the held room back
 * (`unhold`) and then queues (`onCommit`) or discards (`onRelease`); later calls do nothing.
 */
export function holdOnce(
  unhold: () => void,
  onCommit: () => void,
  onRelease: () => void | Promise<void> = () => {},
): Reservation {
  let open = true;
  const settle = (): boolean => {
    if (!open) return false;
    open = false;
    unhold();
    return true;
  };
  return {
    commit: () => {
      if (settle()) onCommit();
    },
    release: () => settle() ? onRelease() : undefined,
  };
}

/** One reservation standing for several. */
export function combine(held: readonly Reservation[]): Reservation {
  if (held.length === 1) return held[0]!;
  return {
    commit: () => held.forEach((one) => one.commit()),
    release: async () => {
      await Promise.all(held.map((one) => one.release()));
    },
  };
}

/** The refusal a caller should see first among several. */
export function mostTelling(errors: readonly unknown[]): unknown {
  const rank = (error: unknown) =>
    error instanceof InvalidItemError
      ? 0
      : error instanceof TooLargeError
      ? 1
      : error instanceof BackpressureError
      ? 3
      : 2;
  let best = errors[0];
  for (const error of errors) if (rank(error) < rank(best)) best = error;
  return best;
}

/** Reserves and commits at once: the whole of `items` is queued, or nothing is. */
export async function admit(target: Admission, items: readonly Item[]): Promise<void> {
  (await target.reserve(items.map(sized))).commit();
}

/** A reservation that holds nothing (a target with nowhere to send). */
export const NOTHING_RESERVED: Reservation = Object.freeze({ commit() {}, release() {} });
