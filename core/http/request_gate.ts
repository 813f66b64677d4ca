/**
 * What an HTTP receiver checks before it reads a request body, in one place: a cap on requests
 * in flight (`max_requests_in_flight`), and a look at the pipeline's room for the declared
 * `Content-Length`, so an overloaded collector answers 429 with `Retry-After` without reading
 * (and buffering) a body no queue could take.
 *
 * The cap is counted fairly: a slot is held only while its body arrives at the minimum rate
 * (`server_min_body_rate`). When every slot is taken and a new request comes, a request still
 * reading its body below that rate (for at least `evictAfterMs`) is cut with 408
 * `body_too_slow` and its slot goes to the newcomer, so clients trickling bytes cannot lock
 * others out. (Without contention, `readBody` cuts such reads after the grace period.)
 *
 * @example
 * ```ts
 * import { RequestGate } from "./request_gate.ts";
 * const gate = new RequestGate({ maxInFlight: 1, retryAfterSeconds: 2 });
 * const first = gate.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
 * let refused = false;
 * await gate.run(() => Promise.resolve()).catch(() => (refused = true));
 * await first;
 * if (!refused) throw new Error("a second request in flight must be refused");
 * ```
 * @module
 */

import { BackpressureError, type Demand } from "../admission.ts";
import { belowMinimumRate, type BodyProgress } from "./read_body.ts";
import { HttpError } from "./server.ts";

/** Options of {@linkcode RequestGate}. */
export interface RequestGateOptions {
  /** Requests handled at once; `0` is no limit. */
  readonly maxInFlight: number;
  /** Seconds in `Retry-After` when the gate refuses. */
  readonly retryAfterSeconds: number;
  /** Slowest body rate that keeps a slot when others wait, bytes/s; `0` never cuts. */
  readonly minBytesPerSecond?: number;
  /**
   * How long a request may read below that rate before a waiting request can take its slot,
   * in ms (default 250: long enough for any client that is sending to show bytes, short
   * enough that clients reconnecting to trickle cannot keep every slot young).
   */
  readonly evictAfterMs?: number;
  /** Told +1 and −1 as requests enter and leave (an in-flight gauge). */
  readonly onChange?: (delta: number) => void;
}

/** One request in flight. */
interface Slot extends BodyProgress {
  /** The slot was given to another request; leaving must not count it again. */
  given: boolean;
}

/** See the module doc. */
export class RequestGate {
  readonly #slots = new Set<Slot>();

  constructor(readonly options: RequestGateOptions) {}

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#slots.size;
  }

  /**
   * Runs `work` as one request in flight; {@linkcode BackpressureError} when at the cap and no
   * slot is held by a slow body. Pass the slot to `readBody` as its `progress`.
   */
  async run<T>(work: (slot: BodyProgress) => Promise<T>): Promise<T> {
    const { maxInFlight, retryAfterSeconds, onChange } = this.options;
    if (maxInFlight > 0 && this.#slots.size >= maxInFlight && !this.#evictSlowest()) {
      throw new BackpressureError(
        `too many requests in flight (max_requests_in_flight ${maxInFlight})`,
        retryAfterSeconds,
        "max_requests_in_flight",
      );
    }
    const slot: Slot = { started: performance.now(), received: 0, cut: undefined, given: false };
    this.#slots.add(slot);
    onChange?.(1);
    try {
      return await work(slot);
    } finally {
      if (!slot.given) {
        this.#slots.delete(slot);
        onChange?.(-1);
      }
    }
  }

  /** Cuts the slowest body read below the minimum rate; whether a slot was freed. */
  #evictSlowest(): boolean {
    const minRate = this.options.minBytesPerSecond ?? 0;
    if (minRate <= 0) return false;
    const grace = this.options.evictAfterMs ?? 250;
    const now = performance.now();
    let slowest: Slot | undefined;
    let slowestRate = Infinity;
    for (const slot of this.#slots) {
      const elapsed = now - slot.started;
      if (slot.cut === undefined || !belowMinimumRate(slot.received, elapsed, minRate, grace)) {
        continue;
      }
      const rate = slot.received / elapsed;
      if (rate < slowestRate) [slowest, slowestRate] = [slot, rate];
    }
    if (slowest === undefined) return false;
    slowest.cut!(
      new HttpError(
        408,
        `request body arrived slower than ${minRate} bytes/s (${slowest.received} bytes in ` +
          `${Math.round(now - slowest.started)}ms) and its slot was given to another request ` +
          "(server_min_body_rate)",
        "body_too_slow",
      ),
    );
    slowest.given = true;
    this.#slots.delete(slowest);
    this.options.onChange?.(-1);
    return true;
  }

  /**
   * Throws {@linkcode BackpressureError} when `pipeline` has no room now for the body `request`
   * declares. Only "full now" is certain here: a body's size is not its payload's (framing,
   * gzip), so whether a request can ever fit is decided after decoding.
   */
  refuseEarly(request: Request, pipeline: { check(demand: Demand): void }): void {
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (!(declared > 0)) return;
    try {
      pipeline.check({ items: 1, bytes: declared });
    } catch (error) {
      if (error instanceof BackpressureError) {
        throw new BackpressureError(
          `exporter queues are full (${error.message})`,
          this.options.retryAfterSeconds,
          error.reason,
        );
      }
    }
  }
}
