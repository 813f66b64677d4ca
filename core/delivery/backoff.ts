/**
 * Jittered exponential backoff with the semantics of Alloy's `pyroscope.write` (dskit
 * `backoff`, docs/spec/pyroscope-wire.md §4.4): the first delay is uniform in `[min, 2×min)`, each later window
 * doubles up to `max`, and `maxAttempts` counts attempts, not retries (`0` = forever).
 *
 * @example
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * const backoff = new Backoff({ minMs: 500, maxMs: 300_000, maxAttempts: 10 });
 * const delay = backoff.next(); // 500 ≤ delay < 1000
 * backoff.attempts; // 1
 * backoff.exhausted; // false
 * ```
 * @module
 */

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** `min_backoff_period` in milliseconds. */
  readonly minMs: number;
  /** `max_backoff_period` in milliseconds. */
  readonly maxMs: number;
  /** `max_backoff_retries`: total attempts allowed; 0 retries forever. */
  readonly maxAttempts: number;
  /** Uniform random source in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/** The backoff state of one delivery (one batch). */
export class Backoff {
  readonly #options: BackoffOptions;
  #low: number;
  #high: number;
  #attempts = 0;

  constructor(options: BackoffOptions) {
    this.#options = options;
    this.#low = options.minMs;
    this.#high = Math.min(2 * options.minMs, options.maxMs);
  }

  /** Failed attempts recorded so far. */
  get attempts(): number {
    return this.#attempts;
  }

  /** True once no further attempt is allowed. */
  get exhausted(): boolean {
    return this.#options.maxAttempts > 0 && this.#attempts >= this.#options.maxAttempts;
  }

  /** Records a failed attempt and returns how long to wait before the next one. */
  next(): number {
    this.#attempts++;
    if (this.#low >= this.#high) return this.#low;
    const random = this.#options.random ?? Math.random;
    const delay = this.#low + random() * (this.#high - this.#low);
    if (this.#high < this.#options.maxMs) {
      this.#low = Math.min(this.#low * 2, this.#options.maxMs);
      this.#high = Math.min(this.#high * 2, this.#options.maxMs);
    }
    return delay;
  }

  /** Starts over, e.g. when a batch is put back at the tail of a spooled queue. */
  reset(): void {
    this.#attempts = 0;
    this.#low = this.#options.minMs;
    this.#high = Math.min(2 * this.#options.minMs, this.#options.maxMs);
  }
}

/** The longest `Retry-After` honoured; a larger value is capped (a broken server must not park a queue for days). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP date) into milliseconds from `now`.
 * Returns `undefined` when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
