/**
 * The health of one endpoint as its delivery queue sees it: an outage starts with the first
 * failed attempt after a success and ends with the next success. It is loud once: the first
 * failure is a warn line naming the root cause, repeats come at most once a minute with counts
 * ({@linkcode LogRepeater}), and the recovery is one info line with the outage's length and how
 * many profiles waited.
 *
 * @module
 */

import { formatDuration } from "../duration.ts";
import type { Logger } from "../telemetry/logger.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";

/** How an endpoint is doing, for the status page. */
export type EndpointHealthState = "ok" | "failing" | "paused";

/** The health part of an endpoint's status. */
export interface EndpointHealthStatus {
  health: EndpointHealthState;
  failing_since: string | null;
  consecutive_failures: number;
  last_error: string | null;
  last_success: string | null;
}

/** See the module doc. */
export class EndpointHealth {
  /** The root cause of the last failed attempt. */
  lastError: string | undefined;
  #lastSuccess: number | undefined;
  /** When the current outage began (first failed attempt since the last success). */
  #failingSince: number | undefined;
  #consecutiveFailures = 0;
  /** Profiles that waited during the current outage (held at its start plus accepted since). */
  #outageProfiles = 0;
  readonly #repeats: LogRepeater;

  constructor(
    readonly endpoint: string,
    readonly logger: Logger,
    readonly now: () => number,
    repeatIntervalMs?: number,
  ) {
    this.#repeats = new LogRepeater(logger, { intervalMs: repeatIntervalMs, now });
  }

  /** Counts `profiles` that joined the queue as waiting, while an outage lasts. */
  waiting(profiles: number): void {
    if (this.#failingSince !== undefined) this.#outageProfiles += profiles;
  }

  /**
   * A failed attempt, with `held` profiles in the queue: the first of an outage is a warn line,
   * repeats at most once a minute.
   */
  failed(reason: string, cause: string, held: number): void {
    this.lastError = cause;
    if (this.#failingSince === undefined) {
      this.#failingSince = this.now();
      this.#outageProfiles = held;
    }
    this.#consecutiveFailures++;
    const due = this.#repeats.hit("health");
    if (due === undefined) return;
    const fields = {
      endpoint: this.endpoint,
      cause,
      reason,
      failed_attempts: due.count,
      consecutive_failures: this.#consecutiveFailures,
      queued_profiles: held,
    };
    if (due.first) {
      this.logger.warn("endpoint failing", fields);
    } else {
      this.logger.warn("endpoint still failing", {
        ...fields,
        failing_for: formatDuration(this.now() - this.#failingSince),
      });
    }
  }

  /** A successful attempt: ends an outage with one info line. */
  succeeded(): void {
    this.#lastSuccess = Date.now();
    if (this.#failingSince === undefined) return;
    this.logger.info("endpoint recovered", {
      endpoint: this.endpoint,
      outage: formatDuration(this.now() - this.#failingSince),
      failed_attempts: this.#consecutiveFailures,
      waited_profiles: this.#outageProfiles,
    });
    this.#repeats.reset("health");
    this.#failingSince = undefined;
    this.#consecutiveFailures = 0;
    this.#outageProfiles = 0;
  }

  /** The status fields; `paused` while a `Retry-After` holds. */
  status(paused: boolean): EndpointHealthStatus {
    const since = this.#failingSince;
    return {
      health: paused ? "paused" : since !== undefined ? "failing" : "ok",
      // `now` may be a test clock: report the wall-clock time that far back.
      failing_since: since !== undefined
        ? new Date(Date.now() - (this.now() - since)).toISOString()
        : null,
      consecutive_failures: this.#consecutiveFailures,
      last_error: this.lastError ?? null,
      last_success: this.#lastSuccess ? new Date(this.#lastSuccess).toISOString() : null,
    };
  }
}
