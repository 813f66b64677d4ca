/**
 * The `pyroscope.scrape` receiver: discovery → target relabeling (with `__meta_*` visible) →
 * sharding → one {@linkcode ScrapeLoop} per target and profile type. Target-set changes start
 * and stop only the loops whose identity (public labels + URL) changed. Scrapes run on the
 * threads `host.workers()` gives (`scrape_task.ts`); this instance's HTTP client is opened on
 * each thread at start and closed with its delta state at shutdown, so a reloaded (changed)
 * scraper starts its deltas over.
 *
 * @module
 */

import type { ComponentSettings, Consumer, Receiver } from "../../core/component.ts";
import { LabelSet } from "../../core/labels.ts";
import type { ScrapeConfig } from "./config.ts";
import { FileDiscoverer } from "./discovery/file_sd.ts";
import { HttpDiscoverer } from "./discovery/http_sd.ts";
import {
  type DiscoveryStatus,
  KubernetesDiscoverer,
  type KubernetesDiscovererOptions,
} from "./discovery/kubernetes/kubernetes_sd.ts";
import { StaticDiscoverer } from "./discovery/static.ts";
import type { Discoverer, TargetGroup } from "./discovery/target_group.ts";
import { createHttpClient, httpClientConfigShape } from "../../core/http/client.ts";
import type { HttpClientConfig } from "../../core/http/client.ts";
import { threadLag } from "../../core/workers/lag.ts";
import { deltaMemory } from "../../pprof/delta_memory.ts";
import { inlineRunner, type TaskRunner } from "../../core/workers/pool.ts";
import { SaturationReporter } from "../../core/workers/saturation.ts";
import { type OpenClientInput, SCRAPE_TASKS } from "./scrape_task.ts";
import { DiscoveryHealth } from "./discovery/health.ts";
import { ClusterPeers } from "./clustering.ts";
import { defaultJobName } from "./targets.ts";
import { type ScrapeMetrics, scrapeMetrics } from "./metrics.ts";
import { resolveProfiles } from "./profiles.ts";
import { ScrapeLoop, type TargetStatus } from "./scrape_loop.ts";
import { LogRepeater } from "../../core/telemetry/log_repeat.ts";
import { buildScrapeTargets, type ScrapeTarget, TargetError } from "./targets.ts";
import { INDEX_PATH, indexedName, ServedTypesProbe } from "./probe.ts";
import { buildScrapeUrl } from "./url.ts";

/** The pprof index URL of a scrape target: its scheme, address and path prefix. */
function indexUrlOf(target: ScrapeTarget): string {
  const { labels } = target;
  return buildScrapeUrl(
    labels.get("__scheme__") ?? "http",
    labels.get("__address__") ?? "",
    labels.get("__profile_path_prefix__") ?? "",
    INDEX_PATH,
    {},
  );
}

let receiverSerial = 0;

/** The HTTP client part of the config: plain data that crosses to the worker threads. */
function httpClientConfig(config: ScrapeConfig): HttpClientConfig {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(httpClientConfigShape)) {
    const value = (config as unknown as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked as unknown as HttpClientConfig;
}

/** The running scraper. */
export class ScrapeReceiver implements Receiver {
  readonly #settings: ComponentSettings;
  readonly #config: ScrapeConfig;
  readonly #next: Consumer;
  readonly #metrics: ScrapeMetrics;
  readonly #profiles;
  readonly #loops = new Map<string, ScrapeLoop>();
  readonly #groups = new Map<number, TargetGroup[]>();
  readonly #discoverers: Discoverer[] = [];
  readonly #kubernetesOptions: KubernetesDiscovererOptions;
  readonly #saturationRecoveryMs: number | undefined;
  readonly #cleanups: (() => void)[] = [];
  /** Where scrapes run, and this instance's client there (`scrape_task.ts`). */
  #runner: TaskRunner = inlineRunner;
  #client: OpenClientInput | undefined;
  #saturation: SaturationReporter | undefined;
  /** With `clustering`: the live replicas, which decide the targets this one keeps. */
  #cluster: ClusterPeers | undefined;
  #started = false;
  #stopped = false;
  #stopping: Promise<void>[] = [];
  /** Shared by the loops: profiles dropped for backpressure, warned once a minute at most. */
  #drops: LogRepeater | undefined;
  /** With `profiling_config.probe_index`: what each target's pprof index lists. */
  #probe: ServedTypesProbe | undefined;
  /** Targets rejected by the last sync, with why (for status and tests). */
  lastSyncErrors: string[] = [];

  constructor(
    settings: ComponentSettings,
    config: ScrapeConfig,
    next: Consumer,
    kubernetesOptions: KubernetesDiscovererOptions = {},
    saturationRecoveryMs?: number,
  ) {
    this.#kubernetesOptions = kubernetesOptions;
    this.#saturationRecoveryMs = saturationRecoveryMs;
    this.#settings = settings;
    this.#config = config;
    this.#next = next;
    this.#metrics = scrapeMetrics(settings.metrics);
    this.#profiles = resolveProfiles(config.profiling_config);
  }

  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const { id, logger, version } = this.#settings;
    const userAgent = `profcol/${version}`;
    this.#runner = this.#settings.host.workers?.() ?? inlineRunner;
    this.#client = {
      clientKey: `${id}\0${receiverSerial++}`,
      config: httpClientConfig(this.#config),
      userAgent,
      owner: id,
      // On worker threads each holds its share of the one delta budget (the main thread's
      // `deltaMemory`, set from service.delta_memory); inline, the main thread's budget is used.
      ...(this.#runner === inlineRunner
        ? {}
        : { threadDeltaMemory: Math.floor(deltaMemory.limit / Math.max(1, this.#runner.threads)) }),
    };
    this.#saturation = new SaturationReporter({
      logger,
      componentId: id,
      skipped: this.#metrics.skippedTicks,
      workers: this.#runner.threads,
      recoveryMs: this.#saturationRecoveryMs,
      warmUntil: Date.now() + this.#config.scrape_interval,
    });
    if (this.#config.profiling_config.probe_index) {
      const client = createHttpClient(httpClientConfig(this.#config), { userAgent });
      const probe = new ServedTypesProbe({
        client,
        timeoutMs: this.#config.scrape_timeout,
        intervalMs: this.#config.profiling_config.probe_interval,
        logger: logger.child({ probe: "pprof_index" }),
        onChange: () => this.sync(),
      });
      this.#probe = probe;
      this.#cleanups.push(() => {
        probe.close();
        client.close();
      });
    }
    threadLag.acquire();
    this.#cleanups.push(() => threadLag.release());
    // Open the client on every thread before the first tick: a thread's first task loads the
    // scrape modules, a stall that would otherwise show up as the first scrapes' backlog.
    const client = this.#client;
    await Promise.all(
      Array.from(
        { length: Math.max(1, this.#runner.threads) },
        (_, affinity) => this.#runner.run(SCRAPE_TASKS, "open", client, { affinity }),
      ),
    );
    const labels = { component_id: id };
    this.#cleanups.push(
      this.#settings.host.registerStatus("targets", () => this.status()),
      this.#settings.host.registerStatus("discovery", () => this.discoveryStatus()),
      this.#metrics.up.collect(() => this.#collectJobGauges()),
      this.#metrics.targets.collect(() => this.#collectJobGauges()),
      this.#metrics.discoveryUp.collect(() => this.#collectDiscoveryGauges()),
      this.#metrics.discoveryTargets.collect(() => this.#collectDiscoveryGauges()),
      this.#metrics.deltaStateBytes.collect(() =>
        this.#metrics.deltaStateBytes.set(labels, this.deltaStateBytes())
      ),
    );
    // Each failed attempt of a discovery is counted by reason.
    const health = (mechanism: string) =>
      new DiscoveryHealth(
        mechanism,
        (reason) => this.#metrics.discoveryErrors.inc({ component_id: id, mechanism, reason }),
      );
    this.#discoverers.push(new StaticDiscoverer(this.#config.targets));
    for (const fileSd of this.#config.file_sd_configs) {
      this.#discoverers.push(
        new FileDiscoverer(fileSd, logger.child({ discovery: "file_sd" }), health("file_sd")),
      );
    }
    for (const httpSd of this.#config.http_sd_configs) {
      this.#discoverers.push(
        new HttpDiscoverer(
          httpSd,
          logger.child({ discovery: "http_sd" }),
          userAgent,
          health("http_sd"),
        ),
      );
    }
    for (const k8s of this.#config.kubernetes_sd_configs) {
      const d = new KubernetesDiscoverer(
        k8s,
        logger.child({ discovery: "kubernetes_sd", role: k8s.role }),
        userAgent,
        this.#kubernetesOptions,
        health("kubernetes_sd"),
      );
      this.#discoverers.push(d);
    }
    if (this.#config.clustering?.enabled) {
      this.#cluster = new ClusterPeers(
        this.#config.clustering,
        logger.child({ discovery: "clustering" }),
        userAgent,
        this.#kubernetesOptions,
        health("clustering"),
      );
      this.#cluster.start(() => this.sync());
    }
    await Promise.all(this.#discoverers.map((d, i) =>
      d.start((groups) => {
        if (this.#stopped) return;
        this.#groups.set(i, groups);
        this.sync();
      })
    ));
  }

  #collectJobGauges(): void {
    const id = this.#settings.id;
    const m = this.#metrics;
    m.up.removeMatching({ component_id: id });
    m.targets.removeMatching({ component_id: id });
    for (const loop of this.#loops.values()) {
      const labels = { component_id: id, job: loop.target.labels.get("job") ?? "" };
      m.targets.add(labels, 1);
      m.up.add(labels, loop.health === "up" ? 1 : 0);
    }
    if (this.#loops.size === 0) {
      // The series exist at 0, so an alert on `== 0` can fire when nothing is scraped.
      const labels = { component_id: id, job: this.#config.job_name || defaultJobName(id) };
      m.targets.set(labels, 0);
      m.up.set(labels, 0);
    }
  }

  /** One `profcol_discovery_up`/`_targets` series per configured mechanism. */
  #collectDiscoveryGauges(): void {
    const id = this.#settings.id;
    const m = this.#metrics;
    m.discoveryUp.removeMatching({ component_id: id });
    m.discoveryTargets.removeMatching({ component_id: id });
    const byMechanism = new Map<string, { up: boolean; targets: number }>();
    const healths = this.#reportedDiscoverers().map((d) => d.health);
    if (this.#cluster) healths.push(this.#cluster.health);
    for (const health of healths) {
      const seen = byMechanism.get(health.mechanism) ?? { up: true, targets: 0 };
      seen.up &&= health.health === "up";
      seen.targets += health.targets;
      byMechanism.set(health.mechanism, seen);
    }
    for (const [mechanism, { up, targets }] of byMechanism) {
      m.discoveryUp.set({ component_id: id, mechanism }, up ? 1 : 0);
      m.discoveryTargets.set({ component_id: id, mechanism }, targets);
    }
  }

  /** The discoverers that are configured (static `targets` only when it lists some). */
  #reportedDiscoverers(): Discoverer[] {
    return this.#discoverers.filter((d) =>
      !(d instanceof StaticDiscoverer) || d.targets.length > 0
    );
  }

  /** Total bytes of client-side delta state over all loops. */
  deltaStateBytes(): number {
    let total = 0;
    for (const loop of this.#loops.values()) total += loop.deltaStateBytes();
    return total;
  }

  /** Rebuilds the wanted loop set from the current groups and applies the difference. */
  sync(): void {
    if (this.#stopped || !this.#client) return;
    const wanted = new Map<string, ScrapeTarget>();
    const errors: string[] = [];
    const ctx = {
      config: this.#config,
      componentId: this.#settings.id,
      profiles: this.#profiles,
      rules: this.#config.relabel_configs,
      sharding: this.#config.sharding,
    };
    for (const groups of this.#groups.values()) {
      for (const group of groups) {
        for (const [index, target] of group.targets.entries()) {
          const discovered = LabelSet.from({ ...group.labels, ...target });
          try {
            for (const t of buildScrapeTargets(discovered, discovered, ctx)) {
              if (!wanted.has(t.key)) wanted.set(t.key, t);
            }
          } catch (error) {
            if (!(error instanceof TargetError)) throw error;
            errors.push(`target ${index} in ${group.source}: ${error.message}`);
          }
        }
      }
    }
    if (errors.length > 0) {
      this.#settings.logger.warn("skipped invalid scrape targets", {
        count: errors.length,
        first: errors[0],
      });
    }
    this.lastSyncErrors = errors;
    if (this.#cluster) {
      // By address, so every profile type of a target (and its delta state) stays together.
      for (const [key, t] of wanted) {
        if (!this.#cluster.owns(t.labels.get("__address__") ?? key)) wanted.delete(key);
      }
    }
    if (this.#probe) this.#keepServed(wanted, this.#probe);
    for (const [key, loop] of this.#loops) {
      if (wanted.has(key)) continue;
      this.#loops.delete(key);
      this.#stopping.push(loop.retire());
    }
    const loopCtx = {
      componentId: this.#settings.id,
      version: this.#settings.version,
      runner: this.#runner,
      client: this.#client,
      saturation: this.#saturation!,
      next: this.#next,
      logger: this.#settings.logger,
      metrics: this.#metrics,
      drops: this.#drops ??= new LogRepeater(this.#settings.logger),
      intervalMs: this.#config.scrape_interval,
      bodySizeLimit: this.#config.body_size_limit,
      onNotFound: this.#probe &&
        ((target: ScrapeTarget) => this.#probe?.notFound(indexUrlOf(target))),
    };
    for (const [key, target] of wanted) {
      if (this.#loops.has(key)) continue;
      if (target.serviceNameFallback) {
        this.#metrics.serviceNameFallbacks.inc({ component_id: this.#settings.id });
      }
      const loop = new ScrapeLoop(target, loopCtx);
      this.#loops.set(key, loop);
      loop.start();
    }
  }

  /**
   * Drops the targets whose type their pprof index does not list; targets whose index is
   * being read for the first time wait for it (the probe syncs again when it ends).
   */
  #keepServed(wanted: Map<string, ScrapeTarget>, probe: ServedTypesProbe): void {
    const indexUrls = new Set<string>();
    for (const [key, target] of wanted) {
      const indexUrl = indexUrlOf(target);
      indexUrls.add(indexUrl);
      const result = probe.lookup(indexUrl);
      const name = indexedName(target.labels.get("__profile_path__") ?? "");
      if (result === undefined || (name && result.served && !result.served.has(name))) {
        wanted.delete(key);
      }
    }
    probe.retain(indexUrls);
  }

  /** The active loops (for tests). */
  get loops(): readonly ScrapeLoop[] {
    return [...this.#loops.values()];
  }

  /**
   * Health of every configured discovery entry (published as `discovery`): the Kubernetes
   * ones with their role and API server, then HTTP, file and static ones.
   */
  discoveryStatus(): DiscoveryStatus[] {
    const id = this.#settings.id;
    const entries = this.#reportedDiscoverers().map((d) =>
      d instanceof KubernetesDiscoverer
        ? d.status(id)
        : { component_id: id, role: "", api_server: "", ...d.health.state() }
    );
    return this.#cluster ? [...entries, this.#cluster.status(id)] : entries;
  }

  /** `/api/v1/targets` entries. */
  status(): TargetStatus[] {
    const probe = this.#probe;
    if (!probe) return this.loops.map((loop) => loop.status());
    return this.loops.map((loop) => {
      const result = probe.peek(indexUrlOf(loop.target));
      return {
        ...loop.status(),
        served_types: result?.served ? [...result.served] : null,
        ...(result?.error ? { probe_error: result.error } : {}),
      };
    });
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) {
      await Promise.all(this.#stopping);
      return;
    }
    this.#stopped = true;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    await Promise.all([...this.#discoverers.map((d) => d.stop()), this.#cluster?.stop()]);
    for (const loop of this.#loops.values()) this.#stopping.push(loop.stop());
    this.#loops.clear();
    await Promise.all(this.#stopping);
    const id = { component_id: this.#settings.id };
    this.#metrics.up.removeMatching(id);
    this.#metrics.targets.removeMatching(id);
    this.#metrics.discoveryUp.removeMatching(id);
    this.#metrics.discoveryTargets.removeMatching(id);
    this.#metrics.deltaStateBytes.removeMatching(id);
    if (this.#client) {
      // Drops the client and every loop's delta state on each thread.
      await this.#runner.everywhere(SCRAPE_TASKS, "close", { clientKey: this.#client.clientKey })
        .catch(() => {}); // the pool is gone: so is everything it held
      this.#client = undefined;
    }
  }
}
