/**
 * One loop per target and profile type: starts at a hash-derived, wall-clock-aligned offset
 * within the interval, keeps at most one scrape in flight (missed ticks are skipped and
 * counted), applies the client-side delta for memory/block/mutex and hands the profile to
 * the pipeline. Stopping aborts an in-flight request.
 *
 * Health is logged on transitions, not every tick: "scrape target down" (warn, with the root
 * cause of `core/root_cause.ts`), a "scrape target still down" reminder at most once a minute
 * with the count of failed scrapes, and "scrape target up again" (info) with the outage length.
 * Profiles dropped because the pipeline is full are warned about the same way
 * (`core/telemetry/log_repeat.ts`).
 *
 * @module
 */

import { BackpressureError, type Consumer } from "../../core/component.ts";
import type { PushItem } from "../../core/items.ts";
import type { Logger } from "../../core/telemetry/logger.ts";
import { LogRepeater } from "../../core/telemetry/log_repeat.ts";
import { formatDuration } from "../../core/duration.ts";
import { DeltaComputer, type DeltaKind } from "../../pprof/delta.ts";
import { fetchProfile, ScrapeError } from "./fetch_profile.ts";
import type { HttpClient } from "../../core/http/client.ts";
import type { ScrapeMetrics } from "./metrics.ts";
import { exportLabels, fnv32, type ScrapeTarget } from "./targets.ts";
import { CLIENT_DELTA_TYPES } from "./profiles.ts";
import type { LabelSet } from "../../core/labels.ts";

/** The scope label profcol puts on scraped profiles (Alloy uses its own name). */
export const SCOPE_NAME = "profcol/pyroscope.scrape";

/** Health of a loop. */
export type Health = "unknown" | "up" | "down";

/** One entry of `/api/v1/targets`. */
export interface TargetStatus {
  component_id: string;
  job: string;
  url: string;
  profile_type: string;
  health: Health;
  last_error: string;
  last_scrape: string | null;
  last_scrape_duration_seconds: number;
  labels: Record<string, string>;
  discovered_labels: Record<string, string>;
  delta_state_bytes: number;
  missed_ticks: number;
}

/** What every loop of a component shares. */
export interface LoopContext {
  readonly componentId: string;
  readonly version: string;
  readonly client: HttpClient;
  readonly next: Consumer;
  readonly logger: Logger;
  readonly metrics: ScrapeMetrics;
  /** Warns about profiles dropped for backpressure (shared by a component's loops). */
  readonly drops?: LogRepeater;
  /** Minimum time between "still down" reminders; default one minute (`log_repeat.ts`). */
  readonly repeatIntervalMs?: number;
  readonly intervalMs: number;
  readonly bodySizeLimit: number;
}

/** A running scrape loop. */
export class ScrapeLoop {
  readonly target: ScrapeTarget;
  readonly #ctx: LoopContext;
  readonly #delta: DeltaComputer | undefined;
  readonly #labels: LabelSet;
  readonly #abort = new AbortController();
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  readonly #health: LogRepeater;
  health: Health = "unknown";
  lastError = "";
  lastScrape: Date | undefined;
  lastDurationSeconds = 0;
  missedTicks = 0;
  scrapes = 0;

  constructor(target: ScrapeTarget, ctx: LoopContext) {
    this.target = target;
    this.#ctx = ctx;
    this.#health = new LogRepeater(ctx.logger, { intervalMs: ctx.repeatIntervalMs });
    this.#delta = target.clientDelta
      ? new DeltaComputer(target.profileType as DeltaKind, { owner: ctx.componentId })
      : undefined;
    let labels = exportLabels(target.labels);
    if (!labels.has("otel.scope.name")) labels = labels.with("otel.scope.name", SCOPE_NAME);
    if (labels.get("otel.scope.name") === SCOPE_NAME && !labels.has("otel.scope.version")) {
      labels = labels.with("otel.scope.version", ctx.version);
    }
    // Client-side deltas, and godeltaprof (memory/block/mutex without a client-side delta:
    // the target already deltas), tell the server not to delta again. Alloy sends godeltaprof
    // without it, so a v1 server may delta those a second time.
    const serverDelta = !target.clientDelta && CLIENT_DELTA_TYPES.has(target.profileType);
    if (this.#delta || serverDelta) labels = labels.with("__delta__", "false");
    this.#labels = labels;
  }

  /** Labels of forwarded profiles. */
  get labels(): LabelSet {
    return this.#labels;
  }

  /** Bytes of delta state this loop keeps. */
  deltaStateBytes(): number {
    return this.#delta?.stateBytes() ?? 0;
  }

  /**
   * Schedules the loop. The first scrape happens at `hash(key) mod interval` past the wall
   * clock's interval boundary, so restarts keep a target's phase and targets spread out.
   */
  start(now = Date.now()): void {
    const interval = this.#ctx.intervalMs;
    const offset = (fnv32(this.target.key) % interval - (now % interval) + interval) % interval;
    this.#startTimer = setTimeout(() => {
      this.#startTimer = undefined;
      if (this.#stopped) return;
      this.#ticker = setInterval(() => this.#tick(), interval);
      this.#tick();
    }, offset);
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#inFlight) {
      this.missedTicks++;
      this.#ctx.metrics.missedTicks.inc({ component_id: this.#ctx.componentId });
      return;
    }
    this.#inFlight = this.scrapeOnce().finally(() => {
      this.#inFlight = undefined;
    });
  }

  /** One scrape → validate → delta → forward. Never throws; records health instead. */
  async scrapeOnce(): Promise<void> {
    const { componentId, metrics } = this.#ctx;
    const id = { component_id: componentId };
    const started = new Date();
    const t0 = performance.now();
    let error: string | undefined;
    let rootCause: string | undefined;
    try {
      let body = await fetchProfile(this.#ctx.client, {
        url: this.target.url,
        profileType: this.target.profileType,
        timeoutMs: this.target.timeoutMs,
        bodySizeLimit: this.#ctx.bodySizeLimit,
        signal: this.#abort.signal,
      });
      metrics.bytes.inc(id, body.byteLength);
      if (this.#delta) {
        let delta: Uint8Array | null;
        try {
          delta = this.#delta.compute(body, started.getTime() * 1e6);
        } catch (cause) {
          throw new ScrapeError(
            `delta of ${this.target.profileType} profile from ${this.target.url} failed: ${
              (cause as Error).message
            }`,
            "delta",
          );
        }
        if (delta === null) return; // the first profile of a loop only primes the delta
        body = delta;
      }
      if (this.#stopped) return;
      const item: PushItem = {
        kind: "push",
        labels: this.#labels,
        samples: [{ rawProfile: body }],
      };
      try {
        await this.#ctx.next.consume([item]);
        metrics.profiles.inc(id);
      } catch (cause) {
        if (cause instanceof BackpressureError) {
          // The target is fine; the pipeline is full. Drop this profile and say so.
          metrics.errors.inc({ ...id, reason: "backpressure" });
          this.lastError = `profile dropped: downstream is full (${cause.message})`;
          this.#ctx.drops?.warn(
            "backpressure",
            "scraped profiles dropped: downstream is full",
            { reason: "backpressure", cause: cause.message },
            1,
            "profiles",
          );
          this.health = "up";
          return;
        }
        metrics.errors.inc({ ...id, reason: "push" });
        error = `push failed: ${(cause as Error).message}`;
        return;
      }
      this.lastError = "";
    } catch (cause) {
      if (this.#stopped) return;
      const reason = cause instanceof ScrapeError ? cause.reason : "internal";
      metrics.errors.inc({ ...id, reason });
      error = (cause as Error).message;
      rootCause = cause instanceof ScrapeError ? cause.rootCause : error;
    } finally {
      if (!this.#stopped) {
        const seconds = (performance.now() - t0) / 1000;
        this.scrapes++;
        this.lastScrape = started;
        this.lastDurationSeconds = seconds;
        metrics.duration.observe(id, seconds);
        // Log health transitions (and a reminder at most once a minute), not every interval.
        if (error !== undefined) {
          const due = this.#health.hit("down");
          const fields = {
            url: this.target.url,
            profile_type: this.target.profileType,
            cause: rootCause ?? error,
          };
          if (due?.first) {
            this.#ctx.logger.warn("scrape target down", { ...fields, error });
          } else if (due) {
            this.#ctx.logger.warn("scrape target still down", {
              ...fields,
              failed_scrapes: due.count,
              failed_scrapes_total: due.total,
              down_for: formatDuration(due.sinceFirstMs),
            });
          } else this.#ctx.logger.debug("scrape failed", { ...fields, error });
          this.health = "down";
          this.lastError = error;
        } else {
          const outage = this.#health.reset("down");
          if (this.health === "down" && outage) {
            this.#ctx.logger.info("scrape target up again", {
              url: this.target.url,
              profile_type: this.target.profileType,
              down_for: formatDuration(outage.sinceFirstMs),
              failed_scrapes: outage.total,
            });
          }
          this.health = "up";
        }
      }
    }
  }

  /** Stops timers, aborts an in-flight scrape and waits for it. Safe twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#startTimer !== undefined) clearTimeout(this.#startTimer);
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#startTimer = this.#ticker = undefined;
    this.#abort.abort();
    await this.#inFlight;
    // Gives the state's share of service.delta_memory back (or removes its spill file).
    this.#delta?.reset();
  }

  /** The status entry of this loop. */
  status(): TargetStatus {
    return {
      component_id: this.#ctx.componentId,
      job: this.target.labels.get("job") ?? "",
      url: this.target.url,
      profile_type: this.target.profileType,
      health: this.health,
      last_error: this.lastError,
      last_scrape: this.lastScrape?.toISOString() ?? null,
      last_scrape_duration_seconds: this.lastDurationSeconds,
      labels: this.#labels.toRecord(),
      discovered_labels: this.target.discoveredLabels.toRecord(),
      delta_state_bytes: this.deltaStateBytes(),
      missed_ticks: this.missedTicks,
    };
  }
}
