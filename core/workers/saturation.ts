/**
 * "The collector cannot keep its schedule" said once, with the numbers and the fix: ticks a
 * component skips because of the collector's own delay (a tick that starts late, a worker
 * whose event loop lags, a scrape that timed out while its thread was stalled) are counted
 * by reason, the first one of an episode is ONE warn line (how late, how many workers, what
 * to do), and once nothing was skipped for `recoveryMs` an info line says the schedule is
 * kept again. Targets are never blamed for any of it. Skips while the component warms up
 * (its first interval) are counted but not warned about.
 *
 * @module
 */

import { formatDuration } from "../duration.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Counter } from "../telemetry/metrics.ts";
import { availableCpus } from "./cpus.ts";

/** Options of a {@linkcode SaturationReporter}. */
export interface SaturationOptions {
  readonly logger: Logger;
  readonly componentId: string;
  /** `profcol_scrape_skipped_ticks_total{component_id,reason}` or the like. */
  readonly skipped: Counter;
  /** Worker threads in use (0 or 1: the main thread). */
  readonly workers: number;
  /** Quiet time after which the episode is over; default 10 s. */
  readonly recoveryMs?: number;
  /**
   * Until then (epoch ms) skips are only counted and logged at debug: a start opens every
   * connection and warms every thread at once, which is not the saturation worth a warning.
   */
  readonly warmUntil?: number;
  readonly now?: () => number;
}

/** See the module doc. */
export class SaturationReporter {
  readonly #options: SaturationOptions;
  readonly #recoveryMs: number;
  readonly #now: () => number;
  #since: number | undefined;
  #lastSkip = 0;
  #episodeSkips = 0;
  #worstLagMs = 0;

  constructor(options: SaturationOptions) {
    this.#options = options;
    this.#recoveryMs = options.recoveryMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** True between the warn line and the recovery line. */
  get saturated(): boolean {
    return this.#since !== undefined;
  }

  /** Counts `count` ticks skipped for `reason` while the collector lagged by `lagMs`. */
  skipped(reason: string, lagMs: number, count = 1): void {
    const { skipped, componentId, logger, workers } = this.#options;
    skipped.inc({ component_id: componentId, reason }, count);
    const now = this.#now();
    this.#lastSkip = now;
    this.#episodeSkips += count;
    this.#worstLagMs = Math.max(this.#worstLagMs, lagMs);
    if (this.#since !== undefined) return;
    if (now < (this.#options.warmUntil ?? 0)) {
      logger.debug("scrape tick skipped while warming up", { reason, behind_by: lagMs });
      this.#episodeSkips = 0;
      this.#worstLagMs = 0;
      return;
    }
    this.#since = now;
    const threads = Math.max(1, workers);
    const cpus = availableCpus();
    const more = threads < cpus
      ? `raise service.workers (now ${threads}, ${cpus} CPUs available)`
      : `give the collector more CPUs (service.workers is ${threads}, all CPUs available)`;
    logger.warn("collector saturated: it cannot keep the scrape schedule and skips ticks", {
      reason,
      behind_by: formatDuration(Math.round(lagMs)),
      workers: threads,
      advice: `${more}, or split the targets over more collectors (sharding.total_shards)`,
    });
  }

  /** Notes a tick that ran on time; ends the episode after `recoveryMs` without a skip. */
  onTime(): void {
    if (this.#since === undefined) return;
    const now = this.#now();
    if (now - this.#lastSkip < this.#recoveryMs) return;
    this.#options.logger.info("collector keeps the scrape schedule again", {
      saturated_for: formatDuration(this.#lastSkip - this.#since),
      skipped_ticks: this.#episodeSkips,
      worst_lag: formatDuration(Math.round(this.#worstLagMs)),
    });
    this.#since = undefined;
    this.#episodeSkips = 0;
    this.#worstLagMs = 0;
  }
}
