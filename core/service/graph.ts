/**
 * The running component graph of one config generation: component instances (receivers and
 * exporters by id, processors by pipeline and id — each pipeline has its own), the receiver
 * ports, and what can be kept when the next config arrives.
 *
 * @module
 */

import type {
  ComponentKind,
  ComponentSettings,
  Exporter,
  Lifecycle,
  Processor,
  Receiver,
} from "../component.ts";
import type { ComponentConfig, PipelineSpec, ValidatedConfig } from "../config/validate.ts";
import { type ExporterNode, ReceiverPort, type Route } from "../pipeline/fanout.ts";
import type { PipelineMetrics } from "../pipeline/metrics.ts";
import type { Taps } from "../pipeline/taps.ts";
import type { Logger } from "../telemetry/logger.ts";

/** Lifecycle state of one component instance. */
export type ComponentState = "created" | "starting" | "running" | "stopping" | "stopped" | "failed";

/** One component instance in the graph. */
export interface Node<T extends Lifecycle = Lifecycle> {
  /** Unique within the graph: the id, or `pipeline\0id` for processors. */
  readonly key: string;
  readonly id: string;
  readonly kind: ComponentKind;
  readonly type: string;
  /** Pipeline of a processor instance. */
  readonly pipeline?: string;
  /** Stable text of the config as written; equal text means "unchanged" on reload. */
  readonly fingerprint: string;
  readonly instance: T;
  state: ComponentState;
  error?: string;
  /** Unregisters whatever the component registered with the host; called after shutdown. */
  readonly release: () => void;
}

/** A receiver node and the port it pushes into. */
export interface ReceiverNode extends Node<Receiver> {
  readonly port: ReceiverPort;
}

/** Stable JSON: object keys sorted, so reordering YAML keys is not a change. */
export function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, child) => {
    if (child === null || typeof child !== "object" || Array.isArray(child)) return child;
    return Object.fromEntries(Object.entries(child).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
}

/** What the graph needs from the service to create components. */
export interface GraphContext {
  /** Settings for a new instance, and a function that undoes its host registrations. */
  settings(id: string): { settings: ComponentSettings; release: () => void };
  readonly metrics: PipelineMetrics;
  /** The service's observation points, reported to by every receiver port. */
  readonly taps: Taps;
  readonly logger: Logger;
}

/** One config generation of components. */
export class Graph {
  readonly exporters = new Map<string, Node<Exporter>>();
  readonly processors = new Map<string, Node<Processor>>();
  readonly receivers = new Map<string, ReceiverNode>();

  constructor(readonly config: ValidatedConfig, readonly pipelines: readonly PipelineSpec[]) {}

  /** Every node, exporters first (start order). */
  all(): Node[] {
    return [...this.exporters.values(), ...this.processors.values(), ...this.receivers.values()];
  }

  /** The routes a receiver feeds in this graph. */
  routesFor(receiverId: string): Route[] {
    return this.pipelines.filter((p) => p.receivers.includes(receiverId)).map((p) => ({
      pipeline: p.name,
      processors: p.processors.map((id) => ({
        id,
        processor: this.processors.get(processorKey(p.name, id))!.instance,
      })),
      exporters: p.exporters.map((id): ExporterNode => ({
        id,
        exporter: this.exporters.get(id)!.instance,
      })),
    }));
  }
}

/** Key of a processor instance: processors are per pipeline. */
export function processorKey(pipeline: string, id: string): string {
  return `${pipeline}\0${id}`;
}

/**
 * Builds the graph for `config`, reusing nodes of `previous` whose id, kind and config are
 * unchanged (they keep running; exporter queues survive). New instances are created but not
 * started. Throws if a factory's `create` throws; the caller shuts down `created`.
 */
export function buildGraph(
  config: ValidatedConfig,
  context: GraphContext,
  previous: Graph | undefined,
  created: Node[],
): Graph {
  const graph = new Graph(config, config.pipelines);
  const usedIds = (kind: "receivers" | "processors" | "exporters") =>
    new Set(config.pipelines.flatMap((p) => p[kind]));

  const make = <T extends Lifecycle>(
    component: ComponentConfig,
    key: string,
    pipeline: string | undefined,
    old: Node | undefined,
    build: (settings: ComponentSettings) => T,
  ): Node<T> => {
    const print = fingerprint({ pipeline, raw: component.raw });
    if (
      old && old.fingerprint === print && old.type === component.factory.type &&
      old.state === "running"
    ) {
      return old as Node<T>;
    }
    const { settings, release } = context.settings(component.id);
    const node: Node<T> = {
      key,
      id: component.id,
      kind: component.kind,
      type: component.factory.type,
      pipeline,
      fingerprint: print,
      instance: build(settings),
      state: "created",
      release,
    };
    created.push(node);
    return node;
  };

  for (const id of usedIds("exporters")) {
    const component = config.exporters.get(id)!;
    if (component.factory.kind !== "exporter") continue;
    const factory = component.factory;
    graph.exporters.set(
      id,
      make(
        component,
        id,
        undefined,
        previous?.exporters.get(id),
        (settings) => factory.create(settings, component.config),
      ),
    );
  }
  for (const pipeline of config.pipelines) {
    for (const id of pipeline.processors) {
      const component = config.processors.get(id)!;
      if (component.factory.kind !== "processor") continue;
      const factory = component.factory;
      const key = processorKey(pipeline.name, id);
      graph.processors.set(
        key,
        make(
          component,
          key,
          pipeline.name,
          previous?.processors.get(key),
          (settings) => factory.create(settings, component.config),
        ),
      );
    }
  }
  for (const id of usedIds("receivers")) {
    const component = config.receivers.get(id)!;
    if (component.factory.kind !== "receiver") continue;
    const factory = component.factory;
    const old = previous?.receivers.get(id);
    const kept = old &&
      old.fingerprint === fingerprint({ pipeline: undefined, raw: component.raw }) &&
      old.state === "running";
    if (kept) {
      graph.receivers.set(id, old);
      continue;
    }
    const port = new ReceiverPort(id, [], context.metrics, context.logger, context.taps);
    const { settings, release } = context.settings(id);
    const node: ReceiverNode = {
      key: id,
      id,
      kind: "receiver",
      type: factory.type,
      fingerprint: fingerprint({ pipeline: undefined, raw: component.raw }),
      instance: factory.create(settings, component.config, port),
      state: "created",
      port,
      release,
    };
    created.push(node);
    graph.receivers.set(id, node);
  }
  return graph;
}
