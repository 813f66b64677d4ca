/**
 * The path of an item from a receiver to the exporters: for each pipeline the receiver feeds,
 * that pipeline's own processor instances in list order, then every exporter of the pipeline.
 *
 * Guarantees:
 * - Capacity first: every target exporter is asked `hasCapacityFor` before anything is
 *   enqueued; if one says no, nothing is enqueued and the caller gets `BackpressureError`
 *   (it retries, and no target gets a duplicate).
 * - Exporters are called concurrently; one that is slow or throws never holds back another.
 * - Items are immutable, so a processor's change in one pipeline is never seen in another.
 * - A processor that throws drops the item for its pipeline only (`processor_error`).
 *
 * @module
 */

import {
  BackpressureError,
  type Consumer,
  type Exporter,
  InvalidItemError,
  type Processor,
} from "../component.ts";
import { type Item, itemBytes, itemProfiles } from "../items.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { PipelineMetrics } from "./metrics.ts";

/** A processor instance of one pipeline. */
export interface ProcessorNode {
  readonly id: string;
  readonly processor: Processor;
}

/** An exporter instance (shared by every pipeline that lists it). */
export interface ExporterNode {
  readonly id: string;
  readonly exporter: Exporter;
}

/** One pipeline as seen from a receiver. */
export interface Route {
  readonly pipeline: string;
  readonly processors: readonly ProcessorNode[];
  readonly exporters: readonly ExporterNode[];
}

/**
 * Components that already logged a failure at warn level: the first failure is worth a
 * warning, the rest are counted in metrics and logged at debug (no per-item logs above debug).
 */
const warned = new WeakSet<Processor | Exporter>();

/** A set of routes plus the count of items currently travelling along them. */
class RouteTable {
  #inflight = 0;
  #waiters: (() => void)[] = [];
  constructor(readonly routes: readonly Route[]) {}
  enter(): void {
    this.#inflight++;
  }
  leave(): void {
    if (--this.#inflight === 0) {
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }
  /** Resolves once no item is travelling along these routes. */
  drained(): Promise<void> {
    return this.#inflight === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * The `next` consumer handed to a receiver. Its routes can be replaced on reload without the
 * receiver noticing; items already on their way finish along the routes they started on.
 */
export class ReceiverPort implements Consumer {
  #table: RouteTable;
  readonly #labels: { component_id: string };

  constructor(
    readonly receiverId: string,
    routes: readonly Route[],
    private readonly metrics: PipelineMetrics,
    private readonly logger: Logger,
  ) {
    this.#table = new RouteTable(routes);
    this.#labels = { component_id: receiverId };
  }

  /** The current routes. */
  get routes(): readonly Route[] {
    return this.#table.routes;
  }

  /**
   * Replaces the routes; returns a promise that resolves once every item that started on the
   * old routes has been handed to its exporters.
   */
  swap(routes: readonly Route[]): Promise<void> {
    const old = this.#table;
    this.#table = new RouteTable(routes);
    return old.drained();
  }

  /** Resolves once no item is in flight on the current routes. */
  drained(): Promise<void> {
    return this.#table.drained();
  }

  /** False when an exporter of any current route reports no room for `bytes` more. */
  hasRoomFor(bytes: number): boolean {
    for (const route of this.#table.routes) {
      for (const node of route.exporters) {
        if (node.exporter.hasRoomForBytes && !node.exporter.hasRoomForBytes(bytes)) return false;
      }
    }
    return true;
  }

  async consume(item: Item): Promise<void> {
    const table = this.#table;
    table.enter();
    try {
      await this.#deliver(item, table.routes);
      this.metrics.receiverAcceptedProfiles.inc(this.#labels, itemProfiles(item));
      this.metrics.receiverAcceptedBytes.inc(this.#labels, itemBytes(item));
    } catch (error) {
      const reason = error instanceof BackpressureError
        ? "backpressure"
        : error instanceof InvalidItemError
        ? "invalid"
        : "error";
      const labels = { component_id: this.receiverId, reason };
      this.metrics.receiverRefusedProfiles.inc(labels, itemProfiles(item));
      this.metrics.receiverRefusedBytes.inc(labels, itemBytes(item));
      throw error;
    } finally {
      table.leave();
    }
  }

  async #deliver(item: Item, routes: readonly Route[]): Promise<void> {
    const outputs = await Promise.all(routes.map((route) => this.#process(item, route)));
    const targets: [ExporterNode, Item][] = [];
    outputs.forEach((output, index) => {
      if (output === null) return;
      for (const node of routes[index]!.exporters) targets.push([node, output]);
    });
    if (targets.length === 0) return;
    for (const [node, output] of targets) {
      let room: boolean;
      try {
        room = node.exporter.hasCapacityFor(output);
      } catch {
        room = false;
      }
      if (!room) {
        throw new BackpressureError(`exporter ${node.id} has no room in its queue; retry later`, 1);
      }
    }
    const results = await Promise.allSettled(
      targets.map(([node, output]) => node.exporter.consume(output)),
    );
    const failures: unknown[] = [];
    results.forEach((result, index) => {
      const [node, output] = targets[index]!;
      const labels = { component_id: node.id };
      if (result.status === "fulfilled") {
        this.metrics.exporterEnqueuedProfiles.inc(labels, itemProfiles(output));
        this.metrics.exporterEnqueuedBytes.inc(labels, itemBytes(output));
        return;
      }
      failures.push(result.reason);
      const reason = result.reason instanceof BackpressureError
        ? "queue_full"
        : result.reason instanceof InvalidItemError
        ? "invalid"
        : "exporter_error";
      const refused = { component_id: node.id, reason };
      this.metrics.exporterRefusedProfiles.inc(refused, itemProfiles(output));
      this.metrics.exporterRefusedBytes.inc(refused, itemBytes(output));
      if (reason === "exporter_error") {
        const level = warned.has(node.exporter) ? "debug" : "warn";
        warned.add(node.exporter);
        this.logger[level]("exporter failed to accept an item (further failures at debug)", {
          exporter: node.id,
          err: result.reason,
        });
      }
    });
    // When some target took the item, the caller must not retry (that would duplicate it);
    // the refusals are counted above. When none did, hand the first reason back.
    if (failures.length === targets.length) throw failures[0];
  }

  async #process(item: Item, route: Route): Promise<Item | null> {
    let current: Item = item;
    for (const node of route.processors) {
      let next: Item | null;
      try {
        next = await node.processor.process(current);
      } catch (error) {
        this.#dropped(node.id, "processor_error", current);
        const level = warned.has(node.processor) ? "debug" : "warn";
        warned.add(node.processor);
        this.logger[level]("processor threw; item dropped (further failures at debug)", {
          pipeline: route.pipeline,
          processor: node.id,
          err: error,
        });
        return null;
      }
      if (next === null) {
        this.#dropped(node.id, "filtered", current);
        return null;
      }
      current = next;
    }
    return current;
  }

  #dropped(id: string, reason: string, item: Item): void {
    const labels = { component_id: id, reason };
    this.metrics.processorDroppedProfiles.inc(labels, itemProfiles(item));
    this.metrics.processorDroppedBytes.inc(labels, itemBytes(item));
  }
}
