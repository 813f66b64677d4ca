/**
 * The running collector graph: builds components from a validated config, starts them
 * exporters → processors → receivers, reloads by swapping only what changed, and shuts down
 * receivers → processors → exporters.
 *
 * Reload keeps every component whose id and config are unchanged running (exporter queues
 * survive the swap, kept receivers keep their sockets). Items already accepted finish along
 * the routes they started on before the components they use are shut down. An exporter whose
 * id stays but whose config changed hands what it holds to its replacement
 * (`Exporter.adopt`), so the reload does not wait for a drain; removed exporters flush or
 * persist on shutdown, so no accepted item is lost.
 *
 * Every component started, kept or stopped is one info line (`component started
 * component_id=<id> kind=<kind>`), so a reload or shutdown can be followed in the log.
 *
 * @module
 */

import type { ComponentSettings, Exporter, Host } from "../component.ts";
import type { ValidatedConfig } from "../config/validate.ts";
import { PipelineMetrics } from "../pipeline/metrics.ts";
import { Taps } from "../pipeline/taps.ts";
import type { PublishedStatus, StatusName } from "../status.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";
import { redactText, redactValue } from "../redact.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { MetricsRegistry } from "../telemetry/metrics.ts";
import { buildGraph, type Graph, type Node } from "./graph.ts";
import { availableCpus } from "../workers/cpus.ts";
import { inlineRunner, type TaskRunner, WorkerPool } from "../workers/pool.ts";

/** Options of a {@linkcode Service}. */
export interface ServiceOptions {
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly version: string;
}

/** Lifecycle state of the service. */
export type ServiceState = "idle" | "starting" | "running" | "stopping" | "stopped" | "failed";

/** What `/api/v1/status` shows. */
export interface ServiceStatus {
  readonly state: ServiceState;
  readonly version: string;
  readonly pipelines: readonly {
    name: string;
    receivers: readonly string[];
    processors: readonly string[];
    exporters: readonly string[];
  }[];
  readonly components: readonly {
    id: string;
    kind: string;
    type: string;
    pipeline?: string;
    state: string;
    error?: string;
  }[];
  /** What components published with `host.registerStatus`, by name (`status.ts`). */
  readonly published: { readonly [Name in StatusName]?: readonly PublishedStatus[Name][] };
}

/** What a reload changed: components started, stopped and kept. */
export interface ReloadSummary {
  readonly started: number;
  readonly stopped: number;
  readonly kept: number;
}

/** Thrown by {@linkcode Service.reload}; `applied` says whether the new graph is in place. */
export class ReloadError extends Error {
  override readonly name = "ReloadError";
  constructor(message: string, readonly applied: boolean) {
    super(message);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** See the module doc. */
export class Service {
  readonly #options: ServiceOptions;
  readonly #pipelineMetrics: PipelineMetrics;
  readonly #providers = new Map<StatusName, Set<() => unknown>>();
  /** A status provider that throws is warned about once, then at most once a minute. */
  readonly #statusFailures: LogRepeater;
  /**
   * The pipeline's observation points, handed to whoever watches it (the admin console's
   * profile ring and live debugging); every receiver port of this service reports to them.
   */
  readonly taps = new Taps();
  #graph: Graph | undefined;
  #state: ServiceState = "idle";
  /** Serializes start, reload and shutdown. */
  #lock: Promise<unknown> = Promise.resolve();
  /** Replaced exporters that handed over and are finishing their requests in flight. */
  readonly #retiring = new Set<Promise<void>>();
  /** When shutdown must be over (epoch ms), while shutting down. */
  #deadline: number | undefined;
  /** `service.workers` as resolved at start (the CPUs available when unset). */
  #workerCount = 1;
  /** Started by the first component that asks for it; closed after shutdown. */
  #pool: WorkerPool | undefined;

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.#pipelineMetrics = new PipelineMetrics(options.metrics);
    this.#statusFailures = new LogRepeater(options.logger);
  }

  /** The host handed to components (via their settings). */
  readonly host: Host = {
    registerStatus: (name, provider) => {
      let set = this.#providers.get(name);
      if (!set) this.#providers.set(name, set = new Set());
      set.add(provider);
      return () => void this.#providers.get(name)?.delete(provider);
    },
  };

  get state(): ServiceState {
    return this.#state;
  }

  /** True once the graph is started and until shutdown begins. */
  get ready(): boolean {
    return this.#state === "running";
  }

  /** The config currently running. */
  get config(): ValidatedConfig | undefined {
    return this.#graph?.config;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => {});
    return run;
  }

  #context() {
    return {
      metrics: this.#pipelineMetrics,
      taps: this.taps,
      logger: this.#options.logger.child({ component_id: "pipeline" }),
      settings: (id: string): { settings: ComponentSettings; release: () => void } => {
        const unregister: (() => void)[] = [];
        const settings: ComponentSettings = {
          id,
          logger: this.#options.logger.child({ component_id: id }),
          metrics: this.#options.metrics,
          version: this.#options.version,
          host: {
            registerStatus: (name, provider) => {
              const off = this.host.registerStatus(name, provider);
              unregister.push(off);
              return off;
            },
            shutdownDeadline: () => this.#deadline,
            workers: () => this.#workers(),
          },
        };
        return { settings, release: () => unregister.splice(0).forEach((off) => off()) };
      },
    };
  }

  /** Worker threads in use (`service.workers` resolved at start; 1 = the main thread). */
  get workerCount(): number {
    return this.#workerCount;
  }

  #workers(): TaskRunner {
    if (this.#workerCount <= 1) return inlineRunner;
    return this.#pool ??= new WorkerPool(
      this.#workerCount,
      this.#options.logger.child({ component_id: "workers" }),
    );
  }

  /** Builds and starts the graph. Throws (after undoing what started) if a component fails. */
  start(config: ValidatedConfig): Promise<void> {
    return this.#serial(async () => {
      if (this.#state !== "idle") throw new Error(`cannot start a service that is ${this.#state}`);
      this.#state = "starting";
      this.#workerCount = config.service.workers ?? availableCpus();
      const created: Node[] = [];
      try {
        const graph = buildGraph(config, this.#context(), undefined, created);
        await this.#startNodes(created, "exporter");
        await this.#startNodes(created, "processor");
        for (const node of graph.receivers.values()) void node.port.swap(graph.routesFor(node.id));
        await this.#startNodes(created, "receiver");
        this.#graph = graph;
        this.#state = "running";
        this.#options.logger.info("collector started", {
          pipelines: config.pipelines.length,
          components: graph.all().length,
          workers: this.#workerCount,
        });
      } catch (error) {
        await this.#stopNodes(created.slice().reverse());
        this.#closePool();
        this.#state = "failed";
        throw error;
      }
    });
  }

  async #startNodes(nodes: readonly Node[], kind: Node["kind"]): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      nodes.filter((node) => node.kind === kind).map(async (node) => {
        node.state = "starting";
        try {
          await node.instance.start();
          node.state = "running";
          this.#lifecycle("component started", node);
        } catch (error) {
          node.state = "failed";
          node.error = errorText(error);
          failures.push(`${kind} ${node.id}: ${node.error}`);
        }
      }),
    );
    if (failures.length > 0) throw new Error(`failed to start ${failures.join("; ")}`);
  }

  async #stopNodes(nodes: readonly Node[]): Promise<void> {
    await Promise.all(nodes.map(async (node) => {
      if (node.state === "stopped") return;
      node.state = "stopping";
      try {
        await node.instance.shutdown();
        node.state = "stopped";
        this.#lifecycle("component stopped", node);
      } catch (error) {
        node.state = "failed";
        node.error = errorText(error);
        this.#options.logger.error("component failed to shut down", {
          component_id: node.id,
          err: error,
        });
      } finally {
        node.release();
      }
    }));
  }

  #lifecycle(msg: string, node: Node): void {
    this.#options.logger.info(msg, {
      component_id: node.id,
      kind: node.kind,
      ...(node.pipeline === undefined ? {} : { pipeline: node.pipeline }),
    });
  }

  /**
   * Swaps in `config`. Unchanged components keep running; new exporters and processors start
   * before anything changes, so a failure there leaves the running graph untouched (and throws
   * `ReloadError` with `applied: false`). Removed receivers stop first (a changed receiver may
   * need the same port), routes switch, new receivers start, then removed processors and
   * exporters shut down once the items they hold are through. A changed exporter hands its
   * queue to its replacement (`Exporter.adopt`) and finishes its requests in flight in the
   * background, so the reload does not wait for it. Logging "config reloaded" is the caller's
   * (once per reload, with the returned counts).
   */
  reload(config: ValidatedConfig): Promise<ReloadSummary> {
    return this.#serial(async () => {
      const old = this.#graph;
      if (this.#state !== "running" || !old) {
        throw new ReloadError(`cannot reload a service that is ${this.#state}`, false);
      }
      const wantedWorkers = config.service.workers ?? availableCpus();
      if (wantedWorkers !== this.#workerCount) {
        this.#options.logger.warn("service.workers changes take effect on restart", {
          workers: this.#workerCount,
          configured: wantedWorkers,
        });
      }
      const created: Node[] = [];
      let graph: Graph;
      try {
        graph = buildGraph(config, this.#context(), old, created);
        await this.#startNodes(created, "exporter");
        await this.#startNodes(created, "processor");
      } catch (error) {
        await this.#stopNodes(created.slice().reverse());
        throw new ReloadError(`reload failed, kept the running config: ${errorText(error)}`, false);
      }
      const keptNodes = new Set<Node>(graph.all());
      const removed = old.all().filter((node) => !keptNodes.has(node));
      const removedReceivers = removed.filter((node) => node.kind === "receiver");
      await this.#stopNodes(removedReceivers);
      const drains: Promise<void>[] = [];
      for (const node of old.receivers.values()) {
        if (!keptNodes.has(node)) drains.push(node.port.drained());
      }
      for (const node of graph.receivers.values()) {
        drains.push(node.port.swap(graph.routesFor(node.id)));
      }
      let startError: unknown;
      try {
        await this.#startNodes(created, "receiver");
      } catch (error) {
        startError = error;
      }
      await Promise.all(drains);
      await this.#stopNodes(removed.filter((node) => node.kind === "processor"));
      const handedOver = await this.#handOver(removed, graph);
      await this.#stopNodes(
        removed.filter((node) => node.kind === "exporter" && !handedOver.has(node)),
      );
      if (handedOver.size > 0) {
        const retiring = this.#stopNodes([...handedOver]).finally(() => {
          this.#retiring.delete(retiring);
        });
        this.#retiring.add(retiring);
      }
      this.#graph = graph;
      // Series of components that are gone for good (no component with that id remains).
      const ids = new Set(graph.all().map((node) => node.id));
      for (const node of removed) {
        if (!ids.has(node.id)) this.#options.metrics.removeSeries({ component_id: node.id });
      }
      const createdNodes = new Set(created);
      for (const node of graph.all()) {
        if (!createdNodes.has(node)) this.#lifecycle("component kept", node);
      }
      const summary: ReloadSummary = {
        started: created.length,
        stopped: removed.length,
        kept: graph.all().length - created.length,
      };
      if (startError !== undefined) {
        throw new ReloadError(
          `reload applied, but ${errorText(startError)} (it stays down until the next reload)`,
          true,
        );
      }
      return summary;
    });
  }

  /**
   * Lets each changed exporter's replacement adopt what it holds; returns the old nodes that
   * handed over (their shutdown only waits for requests in flight).
   */
  async #handOver(removed: readonly Node[], graph: Graph): Promise<Set<Node>> {
    const done = new Set<Node>();
    for (const node of removed) {
      if (node.kind !== "exporter") continue;
      const successor = graph.exporters.get(node.id);
      if (
        !successor || successor.type !== node.type || successor.state !== "running" ||
        !successor.instance.adopt
      ) continue;
      try {
        await successor.instance.adopt(node.instance as Exporter);
        done.add(node);
      } catch (error) {
        this.#options.logger.error("could not hand the exporter's queue over; it drains instead", {
          component_id: node.id,
          err: error,
        });
      }
    }
    return done;
  }

  /**
   * Stops receivers, waits for items in flight, then stops processors and exporters.
   * `deadline` (epoch ms) is when everything must be over; components can read it
   * (`host.shutdownDeadline`) to end their drain in time to report what they give up.
   */
  shutdown(deadline?: number): Promise<void> {
    if (deadline !== undefined) this.#deadline = deadline;
    return this.#serial(async () => {
      const graph = this.#graph;
      if (this.#state === "stopped") return;
      this.#state = "stopping";
      await Promise.all(this.#retiring);
      if (graph) {
        const receivers = [...graph.receivers.values()];
        await this.#stopNodes(receivers);
        await Promise.all(receivers.map((node) => node.port.drained()));
        await this.#stopNodes([...graph.processors.values()]);
        await this.#stopNodes([...graph.exporters.values()]);
      }
      this.#closePool();
      this.#state = "stopped";
    });
  }

  #closePool(): void {
    this.#pool?.close();
    this.#pool = undefined;
  }

  /**
   * Values published under `name` by components (`host.registerStatus`), lists merged. A
   * provider that throws is left out and warned about (once, then once a minute). Every value
   * passes the redaction rule: what is published is shown on admin pages.
   */
  published<Name extends StatusName>(name: Name): PublishedStatus[Name][] {
    const out: PublishedStatus[Name][] = [];
    for (const provider of this.#providers.get(name) ?? []) {
      try {
        const value = provider() as PublishedStatus[Name] | readonly PublishedStatus[Name][];
        if (Array.isArray(value)) {
          out.push(...value.map((entry) => redactValue(entry) as PublishedStatus[Name]));
        } else if (value !== undefined) {
          out.push(redactValue(value) as PublishedStatus[Name]);
        }
      } catch (error) {
        this.#statusFailures.warn(
          `status\0${name}`,
          "a status provider failed; its status is left out",
          { status: name, err: error },
          1,
          "calls",
        );
      }
    }
    return out;
  }

  /** A snapshot for the admin server. */
  status(): ServiceStatus {
    const graph = this.#graph;
    const has = (name: StatusName) => this.#providers.has(name);
    const published: ServiceStatus["published"] = {
      ...(has("discovery") ? { discovery: this.published("discovery") } : {}),
      ...(has("exporters") ? { exporters: this.published("exporters") } : {}),
      ...(has("targets") ? { targets: this.published("targets") } : {}),
    };
    return {
      state: this.#state,
      version: this.#options.version,
      pipelines: graph?.pipelines.map((p) => ({
        name: p.name,
        receivers: p.receivers,
        processors: p.processors,
        exporters: p.exporters,
      })) ?? [],
      components: graph?.all().map((node) => ({
        id: node.id,
        kind: node.kind,
        type: node.type,
        ...(node.pipeline === undefined ? {} : { pipeline: node.pipeline }),
        state: node.state,
        ...(node.error === undefined ? {} : { error: redactText(node.error) }),
      })) ?? [],
      published,
    };
  }
}
