/**
 * The whole running collector: config files → {@linkcode Service} graph, the admin server,
 * log level/format from the config, reload from the same files and graceful shutdown with a
 * deadline. `main.ts run` wires signals to it; tests drive it in-process.
 *
 * @module
 */

import { AdminGuard } from "../admin/guard.ts";
import { AdminServer, type ReloadOutcome } from "../admin/server.ts";
import { ConsoleState, DEFAULT_PROFILES_MEMORY } from "../../console/console_state.ts";
import { registerProcessMetrics } from "../admin/process_metrics.ts";
import { ConfigError, formatIssue } from "../config/errors.ts";
import { type ConfigPreloader, loadAndValidateAsync } from "../config/mod.ts";
import type { LoadOptions } from "../config/source.ts";
import type { ValidatedConfig } from "../config/validate.ts";
import type { Registry } from "../registry.ts";
import type { Logger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { ReloadError, type ReloadSummary, Service } from "./service.ts";
import { deltaMemory } from "../../pprof/delta_memory.ts";

/** Options of a {@linkcode Collector}. */
export interface CollectorOptions {
  readonly configFiles: readonly string[];
  readonly registry: Registry;
  readonly version: string;
  /** The root logger; reconfigured from `service.telemetry.logs` on start and reload. */
  readonly logger: Logger;
  readonly metrics?: MetricsRegistry;
  readonly loadOptions?: LoadOptions;
  /** Async steps before validation (e.g. importing user processor modules). */
  readonly preloaders?: readonly ConfigPreloader[];
}

/** See the module doc. */
export class Collector {
  readonly #options: CollectorOptions;
  readonly metrics: MetricsRegistry;
  readonly service: Service;
  /** The console's ring and errors: fed from `service.taps`, handed to each admin server. */
  readonly #console: ConsoleState;
  readonly #startedAt = Date.now();
  #admin: AdminServer | undefined;
  #adminKey = "";
  #lastReload: { ok: boolean; at: string; message: string } | undefined;
  #unregisterProcess: (() => void) | undefined;
  #deltaLimitMetric: (() => void) | undefined;
  #reloading: Promise<ReloadOutcome> | undefined;

  constructor(options: CollectorOptions) {
    this.#options = options;
    this.metrics = options.metrics ?? new MetricsRegistry();
    this.service = new Service({
      logger: options.logger,
      metrics: this.metrics,
      version: options.version,
    });
    this.#console = new ConsoleState(
      this.service.taps,
      () =>
        this.service.config?.service.telemetry.console?.profiles_memory ?? DEFAULT_PROFILES_MEMORY,
    );
  }

  /** The admin server's bound address, once started. */
  get adminAddr(): Deno.NetAddr | undefined {
    return this.#admin?.addr;
  }

  /** Loads the config files; throws `ConfigError`. Warnings are logged. */
  async load(): Promise<ValidatedConfig> {
    const config = await loadAndValidateAsync(
      this.#options.configFiles,
      this.#options.registry,
      { ...this.#options.loadOptions, preloaders: this.#options.preloaders },
    );
    for (const warning of config.warnings) this.#options.logger.warn(formatIssue(warning));
    return config;
  }

  /**
   * Loads the config, starts the graph and the admin server. Throws `ConfigError` on an
   * invalid config and another error when a component or the admin server fails to start
   * (everything started is stopped again).
   */
  async start(config?: ValidatedConfig): Promise<void> {
    config ??= await this.load();
    this.#options.logger.configure(config.service.telemetry.logs);
    this.#configureDeltaMemory(config);
    const reload = this.metrics.gauge(
      "alloy_config_last_load_successful",
      "Whether the last config reload succeeded (1) or not (0).",
    );
    reload.set(undefined, 1);
    this.metrics.counter(
      "alloy_config_load_failures_total",
      "Config loads (reloads) that failed; the running config was kept.",
    ).inc(undefined, 0);
    this.metrics.gauge(
      "alloy_config_last_load_success_timestamp_seconds",
      "When the config was last loaded successfully, since the Unix epoch.",
    ).set(undefined, Date.now() / 1000);
    this.#unregisterProcess = registerProcessMetrics(
      this.metrics,
      this.#options.version,
      this.#startedAt,
    );
    try {
      await this.#startAdmin(config, new AdminGuard(config.service.telemetry.http));
      await this.service.start(config);
    } catch (error) {
      await this.service.shutdown();
      await this.#admin?.shutdown();
      this.#unregisterProcess?.();
      throw error;
    }
  }

  /** `service.delta_memory` to the process-wide delta budget; its limit events to `/metrics`. */
  #configureDeltaMemory(config: ValidatedConfig): void {
    deltaMemory.configure(
      config.service.delta_memory,
      this.#options.logger.child({ component_id: "delta" }),
    );
    if (this.#deltaLimitMetric) return;
    const counter = this.metrics.counter(
      "profcol_delta_state_limit_total",
      "Delta states that reached service.delta_memory, by what was done instead of growing " +
        "memory (spilled: written to disk; dropped: forgotten, the next profile primes).",
      ["component_id", "reason"],
    );
    this.#deltaLimitMetric = counter.collect(() => {
      for (const event of deltaMemory.limitEvents()) {
        counter.setTotal({ component_id: event.owner, reason: event.reason }, event.count);
      }
    });
  }

  async #startAdmin(config: ValidatedConfig, guard: AdminGuard): Promise<void> {
    const http = config.service.telemetry.http;
    const key = `${http.listen_address}:${http.listen_port}`;
    if (this.#admin && key === this.#adminKey) {
      this.#admin.guard = guard;
      return;
    }
    const admin = new AdminServer({
      guard,
      hostname: http.listen_address,
      port: http.listen_port,
      service: this.service,
      metrics: this.metrics,
      logger: this.#options.logger.child({ component_id: "admin" }),
      console: this.#console,
      reload: () => this.reload(),
      info: () => ({
        uptimeSeconds: (Date.now() - this.#startedAt) / 1000,
        lastReload: this.#lastReload,
      }),
    });
    const addr = await admin.start();
    const previous = this.#admin;
    this.#admin = admin;
    this.#adminKey = key;
    this.#options.logger.info("admin server listening", {
      address: `http://${addr.hostname}:${addr.port}/`,
    });
    if (!guard.hasToken && !/^(127\.|::1$|localhost$)/.test(http.listen_address)) {
      this.#options.logger.warn(
        "admin server listens beyond loopback without a bearer token: anyone who can reach " +
          "it may reload the config and profile the process; set " +
          "service.telemetry.http.bearer_token_file",
        { address: http.listen_address },
      );
    }
    // The reload request that moved us may still be answering on the old server.
    if (previous) setTimeout(() => void previous.shutdown(), 0);
  }

  /**
   * Re-reads the config files. An invalid config (or a component that fails to start) keeps
   * the running graph and is logged with the reason; otherwise the graph is swapped.
   * Concurrent calls share one reload.
   */
  reload(): Promise<ReloadOutcome> {
    this.#reloading ??= this.#reload().finally(() => this.#reloading = undefined);
    return this.#reloading;
  }

  async #reload(): Promise<ReloadOutcome> {
    const logger = this.#options.logger;
    let summary: ReloadSummary | undefined;
    const outcome = await (async (): Promise<ReloadOutcome> => {
      let config: ValidatedConfig;
      let guard: AdminGuard;
      try {
        config = await this.load();
        // Reads the admin token file again: an unreadable one keeps the running config.
        guard = new AdminGuard(config.service.telemetry.http);
      } catch (error) {
        const message = error instanceof ConfigError
          ? `config reload failed, kept the running config: ${error.message}`
          : `config reload failed, kept the running config: ${(error as Error).message}`;
        return { ok: false, message };
      }
      try {
        summary = await this.service.reload(config);
      } catch (error) {
        const applied = error instanceof ReloadError && error.applied;
        if (applied) logger.configure(config.service.telemetry.logs);
        return { ok: false, message: (error as Error).message };
      }
      logger.configure(config.service.telemetry.logs);
      this.#configureDeltaMemory(config);
      try {
        await this.#startAdmin(config, guard);
      } catch (error) {
        return {
          ok: false,
          message: `config reloaded, but the admin server kept its old address: ${
            (error as Error).message
          }`,
        };
      }
      return { ok: true, message: "config reloaded" };
    })();
    this.#lastReload = { ...outcome, at: new Date().toISOString() };
    this.metrics.gauge("alloy_config_last_load_successful", "").set(
      undefined,
      outcome.ok ? 1 : 0,
    );
    if (!outcome.ok) {
      this.metrics.counter(
        "alloy_config_load_failures_total",
        "Config loads (reloads) that failed; the running config was kept.",
      ).inc();
    }
    if (outcome.ok) {
      this.metrics.gauge("alloy_config_last_load_success_timestamp_seconds", "")
        .set(undefined, Date.now() / 1000);
      // The one "config reloaded" line of a reload, with what it changed.
      logger.info(outcome.message, summary ? { ...summary } : {});
    } else {
      logger.error(outcome.message);
    }
    return outcome;
  }

  /**
   * Graceful shutdown: receivers stop accepting, processors drain, exporters flush or
   * persist — within `deadlineMs` (default `service.shutdown_timeout`). Resolves true when
   * everything stopped in time, false when the deadline passed. Safe twice.
   */
  async shutdown(deadlineMs = this.service.config?.service.shutdown_timeout ?? 30_000): Promise<
    boolean
  > {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const work = (async () => {
      await this.service.shutdown(Date.now() + deadlineMs);
      await this.#admin?.shutdown();
      this.#console.close(); // no timer left behind
      this.#unregisterProcess?.();
      this.#unregisterProcess = undefined;
      return true as const;
    })();
    try {
      const inTime = await Promise.race([work, deadline]);
      if (!inTime) {
        this.#options.logger.error("shutdown deadline passed; exiting with work left", {
          deadline_ms: deadlineMs,
        });
      }
      return inTime;
    } finally {
      clearTimeout(timer);
    }
  }
}
