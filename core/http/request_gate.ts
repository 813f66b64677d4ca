/**
 * What an HTTP receiver checks before it reads a request body, in one place: a cap on requests
 * in flight (`max_requests_in_flight`), and a look at the pipeline's room for the declared
 * `Content-Length`, so an overloaded collector answers 429 with `Retry-After` without reading
 * (and buffering) a body no queue could take.
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

/** Options of {@linkcode RequestGate}. */
export interface RequestGateOptions {
  /** Requests handled at once; `0` is no limit. */
  readonly maxInFlight: number;
  /** Seconds in `Retry-After` when the gate refuses. */
  readonly retryAfterSeconds: number;
  /** Told +1 and −1 as requests enter and leave (an in-flight gauge). */
  readonly onChange?: (delta: number) => void;
}

/** See the module doc. */
export class RequestGate {
  #inFlight = 0;

  constructor(readonly options: RequestGateOptions) {}

  /** Runs `work` as one request in flight; {@linkcode BackpressureError} when at the cap. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const { maxInFlight, retryAfterSeconds, onChange } = this.options;
    if (maxInFlight > 0 && this.#inFlight >= maxInFlight) {
      throw new BackpressureError(
        `too many requests in flight (max_requests_in_flight ${maxInFlight})`,
        retryAfterSeconds,
      );
    }
    this.#inFlight++;
    onChange?.(1);
    try {
      return await work();
    } finally {
      this.#inFlight--;
      onChange?.(-1);
    }
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
        );
      }
    }
  }
}
