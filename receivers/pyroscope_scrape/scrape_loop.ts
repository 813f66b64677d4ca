/**
 * One loop per target and profile type: starts at a hash-derived, wall-clock-aligned offset
 * within the interval, keeps at most one scrape in flight (missed ticks are skipped and
 * counted), has the scrape (fetch, validation, client-side delta for memory/block/mutex) run
 * on its thread (`scrape_task.ts`, pinned by the target's hash) and hands the profile to the
 * pipeline. Stopping aborts an in-flight request.
 *
 * The collector's own delay is never the target's failure: a tick that starts more than
 * {@linkcode lateThresholdMs} late, a worker whose queue has waited that long, and a timeout
 * during which the scrape's thread was stalled for {@linkcode STALLED_TIMEOUT_SHARE} of it
 * are skipped ticks (`SaturationReporter`: counted by reason, one warn line), and health is
 * left as it was. So is a scrape whose worker thread died (`worker_failed`).
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
import type { DeltaKind } from "../../pprof/delta.ts";
import { deltaMemory } from "../../pprof/delta_memory.ts";
import type { TaskRunner } from "../../core/workers/pool.ts";
import type { SaturationReporter } from "../../core/workers/saturation.ts";
import {
  type OpenClientInput,
  SCRAPE_TASKS,
  type ScrapeInput,
  type ScrapeOutput,
} from "./scrape_task.ts";
import type { ScrapeMetrics } from "./metrics.ts";
import { exportLabels, fnv32, type ScrapeTarget } from "./targets.ts";
import type { LabelSet } from "../../core/labels.ts";
import type { TargetHealth, TargetStatus } from "../../core/status.ts";

/** The scope label profcol puts on scraped profiles (Alloy uses its own name). */
export const SCOPE_NAME = "profcol/pyroscope.scrape";

/** Health of a loop. */
export type Health = TargetHealth;

/** One entry of `/api/v1/targets`: the kernel's status contract. */
export type { TargetStatus };

/** What every loop of a component shares. */
export interface LoopContext {
  readonly componentId: string;
  readonly version: string;
  /** Where scrapes run (`service.workers`); see `scrape_task.ts`. */
  readonly runner: TaskRunner;
  /** The receiver instance's client on the threads (opened on demand). */
  readonly client: OpenClientInput;
  readonly next: Consumer;
  readonly logger: Logger;
  readonly metrics: ScrapeMetrics;
  /** Counts ticks skipped for the collector's own delay and warns once per episode. */
  readonly saturation: SaturationReporter;
  /** Warns about profiles dropped for backpressure (shared by a component's loops). */
  readonly drops?: LogRepeater;
  /** Minimum time between "still down" reminders; default one minute (`log_repeat.ts`). */
  readonly repeatIntervalMs?: number;
  readonly intervalMs: number;
  readonly bodySizeLimit: number;
  /** A scrape answered 404 (with `probe_index`: the target may serve other types now). */
  readonly onNotFound?: (target: ScrapeTarget) => void;
}

/**
 * A tick is skipped when the collector is this late: a quarter of the interval or timeout,
 * whichever is shorter, but at least 100 ms so ordinary jitter never sheds.
 */
export function lateThresholdMs(intervalMs: number, timeoutMs: number): number {
  return Math.max(100, Math.min(intervalMs, timeoutMs) / 4);
}

/**
 * A timeout is the collector's fault, not the target's, when the thread running the scrape
 * was stalled for at least this share of the timeout.
 */
export const STALLED_TIMEOUT_SHARE = 0.1;

let loopSerial = 0;

/** A running scrape loop. */
export class ScrapeLoop {
  readonly target: ScrapeTarget;
  readonly #ctx: LoopContext;
  readonly #delta: DeltaKind | null;
  readonly #labels: LabelSet;
  readonly #abort = new AbortController();
  /** Pins the loop (and its delta state) to one thread. */
  readonly #affinity: number;
  readonly #loopKey: string;
  readonly #lateMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the next tick is due (`performance.now()` ms: wall-clock jumps move no tick). */
  #due = 0;
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  #stateBytes = 0;
  readonly #health: LogRepeater;
  health: Health = "unknown";
  lastError = "";
  lastScrape: Date | undefined;
  lastDurationSeconds = 0;
  missedTicks = 0;
  /** Ticks skipped because the collector itself was behind (never the target's fault). */
  skippedTicks = 0;
  scrapes = 0;

  constructor(target: ScrapeTarget, ctx: LoopContext) {
    this.target = target;
    this.#ctx = ctx;
    this.#health = new LogRepeater(ctx.logger, { intervalMs: ctx.repeatIntervalMs });
    this.#delta = target.clientDelta ? target.profileType as DeltaKind : null;
    this.#affinity = fnv32(target.key);
    this.#loopKey = `${ctx.client.clientKey}\0${loopSerial++}`;
    this.#lateMs = lateThresholdMs(ctx.intervalMs, target.timeoutMs);
    let labels = exportLabels(target.labels);
    if (!labels.has("otel.scope.name")) labels = labels.with("otel.scope.name", SCOPE_NAME);
    if (labels.get("otel.scope.name") === SCOPE_NAME && !labels.has("otel.scope.version")) {
      labels = labels.with("otel.scope.version", ctx.version);
    }
    // Client-side deltas tell the server not to delta again. godeltaprof profiles go out as
    // Alloy sends them, `__name__=godeltaprof_<type>` without `__delta__`: the server's default
    // ingestion relabeling turns that name into the plain type with `__delta__="false"`, and
    // server-side rules keyed on the `godeltaprof_` names keep matching.
    if (this.#delta) labels = labels.with("__delta__", "false");
    this.#labels = labels;
  }

  /** Labels of forwarded profiles. */
  get labels(): LabelSet {
    return this.#labels;
  }

  /** Bytes of delta state this loop keeps (as of its last scrape). */
  deltaStateBytes(): number {
    return this.#stateBytes;
  }

  /**
   * Schedules the loop. The first scrape happens at `hash(key) mod interval` past the wall
   * clock's interval boundary, so restarts keep a target's phase and targets spread out.
   */
  start(now = Date.now()): void {
    const interval = this.#ctx.intervalMs;
    const offset = (fnv32(this.target.key) % interval - (now % interval) + interval) % interval;
    this.#due = performance.now() + offset;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#due - performance.now()));
  }

  #tick(): void {
    if (this.#stopped) return;
    const interval = this.#ctx.intervalMs;
    const late = performance.now() - this.#due;
    // Keep the phase: the next tick is the next boundary still ahead; the ones passed over
    // while the collector was stalled are skipped (and counted) rather than run in a burst.
    const passed = Math.max(0, Math.floor(late / interval));
    this.#due += (passed + 1) * interval;
    this.#schedule();
    const { metrics, saturation, componentId } = this.#ctx;
    if (passed > 0) {
      this.skippedTicks += passed;
      saturation.skipped("late", late, passed);
    }
    if (this.#inFlight) {
      this.missedTicks++;
      metrics.missedTicks.inc({ component_id: componentId });
      return;
    }
    // This tick is the last boundary passed; how late it is for that one.
    const lateForThis = late - passed * interval;
    if (lateForThis > this.#lateMs) {
      this.skippedTicks++;
      saturation.skipped("late", late);
      return;
    }
    const backlog = this.#ctx.runner.backlogMs(this.#affinity);
    if (backlog > this.#lateMs) {
      this.skippedTicks++;
      saturation.skipped("worker_backlog", backlog);
      return;
    }
    saturation.onTime();
    this.#inFlight = this.scrapeOnce().finally(() => {
      this.#inFlight = undefined;
    });
  }

  async #runScrape(input: ScrapeInput): Promise<ScrapeOutput> {
    const { runner, client } = this.#ctx;
    const options = { affinity: this.#affinity, signal: this.#abort.signal };
    let out = await runner.run<ScrapeOutput>(SCRAPE_TASKS, "scrape", input, options);
    if (out.kind === "no_client") {
      await runner.run(SCRAPE_TASKS, "open", client, options);
      out = await runner.run<ScrapeOutput>(SCRAPE_TASKS, "scrape", input, options);
    }
    return out;
  }

  /** One scrape → validate → delta (on the loop's thread) → forward. Never throws. */
  async scrapeOnce(): Promise<void> {
    const { componentId, metrics } = this.#ctx;
    const id = { component_id: componentId };
    const started = new Date();
    const t0 = performance.now();
    let error: string | undefined;
    let rootCause: string | undefined;
    /** The collector failed this scrape, not the target: health and last scrape stay. */
    let collectorFault = false;
    try {
      const out = await this.#runScrape({
        clientKey: this.#ctx.client.clientKey,
        loopKey: this.#loopKey,
        url: this.target.url,
        profileType: this.target.profileType,
        timeoutMs: this.target.timeoutMs,
        bodySizeLimit: this.#ctx.bodySizeLimit,
        delta: this.#delta,
        nowNanos: started.getTime() * 1e6,
      });
      if (out.kind === "no_client") throw new Error("the scrape client could not be opened");
      this.#stateBytes = out.stateBytes;
      for (const event of out.limitEvents ?? []) {
        deltaMemory.recordLimit(this.#ctx.componentId, event.reason, undefined, event.count);
      }
      if (this.#stopped) return;
      if (out.kind === "failed") {
        metrics.bytes.inc(id, out.scrapedBytes);
        if (
          out.reason === "timeout" &&
          out.stalledMs >= this.target.timeoutMs * STALLED_TIMEOUT_SHARE
        ) {
          // The collector's own thread was stalled for a good part of the timeout: its delay,
          // not the target's failure. Counted and warned as saturation; health unchanged.
          collectorFault = true;
          this.skippedTicks++;
          this.#ctx.saturation.skipped("stalled_timeout", out.stalledMs);
          this.lastError = `scrape given up: the collector was stalled ${
            formatDuration(Math.round(out.stalledMs))
          } of the ${formatDuration(this.target.timeoutMs)} timeout (collector saturated)`;
          return;
        }
        metrics.errors.inc({ ...id, reason: out.reason });
        if (out.reason === "http_status" && /^HTTP 404\b/.test(out.rootCause)) {
          this.#ctx.onNotFound?.(this.target);
        }
        error = out.message;
        rootCause = out.rootCause;
        return;
      }
      metrics.bytes.inc(id, out.scrapedBytes);
      if (out.kind === "primed") return; // the first profile of a loop only primes the delta
      const item: PushItem = {
        kind: "push",
        labels: this.#labels,
        samples: [{ rawProfile: out.body }],
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
      // The scrape's thread failed (the pool logs it once): the collector's fault, not the
      // target's, so it is a skipped tick and the health stays as it was.
      if (this.#stopped) return;
      collectorFault = true;
      this.skippedTicks++;
      metrics.skippedTicks.inc({ ...id, reason: "worker_failed" });
      this.lastError = `scrape not run: ${(cause as Error).message}`;
    } finally {
      if (!this.#stopped && !collectorFault) this.#record(started, t0, error, rootCause);
    }
  }

  #record(started: Date, t0: number, error: string | undefined, rootCause: string | undefined) {
    const seconds = (performance.now() - t0) / 1000;
    this.scrapes++;
    this.lastScrape = started;
    this.lastDurationSeconds = seconds;
    this.#ctx.metrics.duration.observe({ component_id: this.#ctx.componentId }, seconds);
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

  /** Stops timers, aborts an in-flight scrape and waits for it. Safe twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#inFlight;
  }

  /** Stops, then drops the loop's delta state on its thread (a target that went away). */
  async retire(): Promise<void> {
    await this.stop();
    if (!this.#delta) return;
    await this.#ctx.runner.run(SCRAPE_TASKS, "forget", { loopKey: this.#loopKey }, {
      affinity: this.#affinity,
    }).catch(() => {}); // the pool is gone: so is the state
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
      skipped_ticks: this.skippedTicks,
    };
  }
}
