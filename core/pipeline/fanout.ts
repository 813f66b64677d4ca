/**
 * The path of a request from a receiver to the exporters: for each pipeline the receiver
 * feeds, that pipeline's own processor instances in list order, then every exporter of the
 * pipeline.
 *
 * Guarantees:
 * - Request-atomic admission: every item of a request is processed first, then every target
 *   exporter reserves room for its share ({@linkcode reserveAll}); only when all of them did
 *   are the reservations committed. Otherwise all are released and the caller gets the typed
 *   refusal (429, 413 or 400): nothing of it was queued anywhere, so its retry duplicates
 *   nothing.
 * - Exporters reserve concurrently; one that is slow or throws never holds back another.
 * - Items are immutable, so a processor's change in one pipeline is never seen in another.
 * - A processor that throws drops the item for its pipeline only (`processor_error`).
 * - Exporters get items that own their bytes ({@linkcode ownedItem}): whatever a queue, a
 *   spool hand-off or a file writer keeps outlives the request, and a decoded item is a view
 *   into the request buffer (or the gunzip output), so one small kept series would pin the
 *   whole request. Copied here once per payload, whatever the receiver, so retained memory is
 *   bounded by what the queues count (`queue.max_bytes`), not by the requests they came from.
 *
 * @module
 */

import {
  type Demand,
  demandOf,
  isRefusal,
  mostTelling,
  refusalIn,
  refusalReason,
  type Reservation,
  reserveAll,
  sized,
  type SizedItem,
} from "../admission.ts";
import type { Consumer, Exporter, Processor } from "../component.ts";
import { type Item, ownedItem } from "../items.ts";
import type { Logger } from "../telemetry/logger.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";
import type { PipelineMetrics } from "./metrics.ts";
import {
  type DebuginfoForwarder,
  type DebuginfoRoutes,
  isDebuginfoForwarder,
} from "../debuginfo.ts";
import type { Taps } from "./taps.ts";

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
export class ReceiverPort implements Consumer, DebuginfoRoutes {
  #table: RouteTable;
  readonly #labels: { component_id: string };

  constructor(
    readonly receiverId: string,
    routes: readonly Route[],
    private readonly metrics: PipelineMetrics,
    private readonly logger: Logger,
    /** Where accepted requests and live-debugging events are reported (`taps.ts`). */
    private readonly taps: Taps,
  ) {
    this.#table = new RouteTable(routes);
    this.#labels = { component_id: receiverId };
    this.#repeats = new LogRepeater(logger);
  }

  /**
   * Failures are counted in metrics and warned about once, then at most once a minute with a
   * count (no per-item logs above debug).
   */
  readonly #repeats: LogRepeater;

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

  /** The first exporter of the current routes that forwards debug info (`core/debuginfo.ts`). */
  debuginfoForwarder(): DebuginfoForwarder | undefined {
    for (const route of this.#table.routes) {
      for (const node of route.exporters) {
        if (isDebuginfoForwarder(node.exporter)) return node.exporter;
      }
    }
    return undefined;
  }

  /** Throws the refusal `demand` would get now: the most telling of the exporters' refusals. */
  check(demand: Demand): void {
    const refusals: unknown[] = [];
    for (const route of this.#table.routes) {
      for (const node of route.exporters) {
        try {
          node.exporter.check(demand);
        } catch (error) {
          refusals.push(refusalIn(`exporter ${node.id}`, error));
        }
      }
    }
    if (refusals.length > 0) throw mostTelling(refusals);
  }

  async consume(items: readonly Item[]): Promise<void> {
    const table = this.#table;
    table.enter();
    const incoming = items.map(sized);
    const { profiles, bytes } = demandOf(incoming);
    const started = performance.now();
    const taps = this.taps;
    if (taps.watching && taps.watched(this.receiverId)) {
      for (const item of items) taps.passed(this.receiverId, "received", item);
    }
    try {
      await this.#deliver(incoming, table.routes);
      this.metrics.receiverAcceptedProfiles.inc(this.#labels, profiles);
      this.metrics.receiverAcceptedBytes.inc(this.#labels, bytes);
      taps.accepted(this.receiverId, items);
    } catch (error) {
      const labels = { component_id: this.receiverId, reason: refusalReason(error) };
      this.metrics.receiverRefusedProfiles.inc(labels, profiles);
      this.metrics.receiverRefusedBytes.inc(labels, bytes);
      throw error;
    } finally {
      this.metrics.fanoutLatency.observe(this.#labels, (performance.now() - started) / 1000);
      table.leave();
    }
  }

  async #deliver(items: readonly SizedItem[], routes: readonly Route[]): Promise<void> {
    // Every route's output of every item, gathered per exporter (an exporter listed by two
    // pipelines gets each pipeline's output, as it would from two receivers).
    const shares = new Map<ExporterNode, SizedItem[]>();
    await Promise.all(routes.map(async (route) => {
      const outputs = await Promise.all(items.map((one) => this.#process(one, route)));
      for (const node of route.exporters) {
        let share = shares.get(node);
        if (share === undefined) shares.set(node, share = []);
        for (const output of outputs) if (output !== null) share.push(output);
      }
    }));
    const targets = ownShares([...shares].filter(([, share]) => share.length > 0));
    if (targets.length === 0) return;
    let reservation: Reservation;
    try {
      reservation = await reserveAll(
        targets.map(([node, share]) => () => this.#reserve(node, share)),
      );
    } catch (error) {
      if (!isRefusal(error)) {
        this.#repeats.warn(
          "exporter_error",
          "an exporter failed to take a request",
          {
            receiver: this.receiverId,
            err: error,
          },
          1,
          "requests",
        );
      }
      throw error;
    }
    reservation.commit();
    for (const [node, share] of targets) {
      const labels = { component_id: node.id };
      const { profiles, bytes } = demandOf(share);
      this.metrics.exporterEnqueuedProfiles.inc(labels, profiles);
      this.metrics.exporterEnqueuedBytes.inc(labels, bytes);
      const taps = this.taps;
      if (taps.watching && taps.watched(node.id)) {
        for (const one of share) taps.passed(node.id, "enqueued", one.item);
      }
    }
  }

  /** One exporter's reservation; a refusal is counted against that exporter. */
  async #reserve(node: ExporterNode, share: readonly SizedItem[]): Promise<Reservation> {
    try {
      return await node.exporter.reserve(share);
    } catch (error) {
      const refused = { component_id: node.id, reason: refusalReason(error) };
      const { profiles, bytes } = demandOf(share);
      this.metrics.exporterRefusedProfiles.inc(refused, profiles);
      this.metrics.exporterRefusedBytes.inc(refused, bytes);
      throw refusalIn(`exporter ${node.id}`, error);
    }
  }

  async #process(incoming: SizedItem, route: Route): Promise<SizedItem | null> {
    if (route.processors.length === 0) return incoming;
    let current: Item = incoming.item;
    for (const node of route.processors) {
      let next: Item | null;
      try {
        next = await node.processor.process(current);
      } catch (error) {
        this.#dropped(node.id, "processor_error", incoming);
        this.#repeats.warn(
          `processor_error\0${route.pipeline}\0${node.id}`,
          "processor threw; profiles dropped",
          { pipeline: route.pipeline, processor: node.id, reason: "processor_error", err: error },
          incoming.profiles,
          "profiles",
        );
        return null;
      }
      const taps = this.taps;
      if (taps.watching && taps.watched(node.id)) {
        taps.passed(node.id, next === null ? "dropped" : "output", next ?? current);
      }
      if (next === null) {
        this.#dropped(node.id, "filtered", incoming);
        return null;
      }
      current = next;
    }
    // Processors change labels; a payload is re-measured only when one replaced it.
    const before = incoming.item;
    const samePayload = current.kind === "push"
      ? before.kind === "push" && current.samples === before.samples
      : before.kind === "ingest" && current.body === before.body;
    return samePayload ? { ...incoming, item: current } : sized(current);
  }

  #dropped(id: string, reason: string, item: SizedItem): void {
    const labels = { component_id: id, reason };
    this.metrics.processorDroppedProfiles.inc(labels, item.profiles);
    this.metrics.processorDroppedBytes.inc(labels, item.bytes);
  }
}

/**
 * The shares with items that own their bytes: the copy is made before `reserve`, since an
 * exporter keeps (or spools) the items it reserved for, and once per payload for the request,
 * so exporters and pipelines that take the same item share one copy.
 */
function ownShares(
  targets: readonly (readonly [ExporterNode, readonly SizedItem[]])[],
): [ExporterNode, SizedItem[]][] {
  const copies = new Map<Uint8Array, Uint8Array>();
  const own = (one: SizedItem): SizedItem => {
    const item = ownedItem(one.item, copies);
    return item === one.item ? one : { ...one, item };
  };
  return targets.map(([node, share]) => [node, share.map(own)]);
}
