/**
 * The delivery queue of one endpoint, shared by every network exporter: a bounded FIFO (items
 * and bytes), `senders` concurrent requests, batching of consecutive items that may share a
 * request, jittered exponential backoff per batch (Alloy's semantics), `Retry-After` pausing
 * the whole endpoint, permanent failures dropped at once with a counted reason (and batches
 * split so one bad item does not take the others with it), and an optional on-disk spool.
 *
 * It is a small assembly of parts, each replaceable and tested alone:
 * - `capacity_ledger.ts`: items and bytes held and reserved (the admission API);
 * - `entry_store.ts`: the entries, in memory or spooled, each owning its bytes once committed;
 * - `sender_loop.ts`: batching, sending, backoff and the Retry-After pause;
 * - `hand_over.ts`: the reload hand-over to a successor queue;
 * - `endpoint_health.ts`: the endpoint's health and its log lines.
 * This class wires them together and owns the life cycle (start, drain, stop), the counting of
 * sent and dropped profiles, and the status.
 *
 * Items come in through the admission API (`check`, `reserve` → commit or release; see
 * `core/admission.ts`): reserved room counts as held, so several requests reserving at once
 * never overfill the queue. Without a spool a full queue refuses new items (backpressure for
 * the caller). With a spool, items are on disk before `reserve` resolves, payloads beyond
 * `max_bytes` stay on disk until sent, retries never give up (a batch that used its attempts
 * goes back to the tail), and only a full spool drops the oldest items (reason `spool_full`).
 * A spool that cannot be written (disk full, write error) refuses the request with
 * `UnavailableError` (503 with `Retry-After`), after removing what it wrote of it.
 *
 * The exporter supplies `send` (one request for a batch) and `batchKey`; it never handles
 * retries, timers or disk itself.
 *
 * Health is loud (`core/telemetry/log_repeat.ts`): the first failed attempt of an endpoint is a
 * warn line with the root cause (`core/root_cause.ts`), repeats come at most once a minute with
 * counts, recovery is one info line with the outage length and how many profiles waited.
 * Every drop is counted by reason and warned about the same way; a shutdown that gives up
 * queued profiles says how many.
 *
 * @module
 */

import {
  BackpressureError,
  type Demand,
  type Reservation,
  type SizedItem,
  UnavailableError,
} from "../admission.ts";
import { formatDuration } from "../duration.ts";
import type { Logger } from "../telemetry/logger.ts";
import { CapacityLedger, type CapacityLimits } from "./capacity_ledger.ts";
import { DeliveryAccounting } from "./delivery_accounting.ts";
import type { DeliveryMetrics } from "./delivery_metrics.ts";
import { EndpointHealth, type EndpointHealthState } from "./endpoint_health.ts";
import { type Entry, EntryStore } from "./entry_store.ts";
import { HandOver } from "./hand_over.ts";
import type { QueuedItem } from "./item_codec.ts";
import type { Outcome } from "./outcome.ts";
import type { QueueConfig } from "./queue_config.ts";
import { type RetrySettings, SenderLoop } from "./sender_loop.ts";
import { Spool, type SpoolOptions, type SpoolRef } from "./spool.ts";

export type { RetrySettings };

/** An item to queue, with its sender metadata and its size (computed once, upstream). */
export interface Parcel extends SizedItem {
  readonly queued: QueuedItem;
}

/** Options of {@linkcode DeliveryQueue}. */
export interface DeliveryQueueOptions {
  readonly componentId: string;
  /** The endpoint as shown in metrics and logs (no credentials). */
  readonly endpoint: string;
  readonly config: QueueConfig;
  readonly retry: RetrySettings;
  readonly metrics: DeliveryMetrics;
  readonly logger: Logger;
  /** This endpoint's spool directory, when the spool is on. */
  readonly spoolDirectory?: string;
  /** How spool files are written; tests inject a full disk here. */
  readonly spoolWriteFile?: SpoolOptions["writeFile"];
  /** Minimum time between repeated warn lines; default one minute (see `log_repeat.ts`). */
  readonly repeatIntervalMs?: number;
  /** The clock of health timing, for tests. */
  readonly now?: () => number;
  /**
   * When the whole shutdown must be over (epoch ms), if known: the drain ends early enough
   * to report what it gives up before the deadline.
   */
  readonly shutdownDeadline?: () => number | undefined;
  /** Items with the same key may share one request; `undefined` sends the item alone. */
  batchKey(queued: QueuedItem): string | undefined;
  /**
   * Sends one request carrying `batch`; must not throw (transport errors are outcomes). Every
   * retry of a batch passes the same array, so the request body can be cached on it.
   */
  send(batch: readonly QueuedItem[], signal: AbortSignal): Promise<Outcome>;
  /**
   * When a batch must be over (epoch ms), if its items carry a caller's deadline: no attempt
   * starts after it, no retry is waited for past it; the batch is then dropped (reason
   * `deadline_exceeded`).
   */
  readonly deadline?: (batch: readonly QueuedItem[]) => number | undefined;
}

/** A point-in-time view for the status page. */
export interface DeliveryQueueStatus {
  endpoint: string;
  /** `failing` after a failed attempt until one succeeds; `paused` by Retry-After. */
  health: EndpointHealthState;
  failing_since: string | null;
  consecutive_failures: number;
  queued_profiles: number;
  queued_bytes: number;
  in_flight_requests: number;
  spool_bytes: number | null;
  last_error: string | null;
  last_success: string | null;
  paused_until: string | null;
}

/** See the module doc. */
export class DeliveryQueue {
  readonly #o: DeliveryQueueOptions;
  readonly #labels: { component_id: string; endpoint: string };
  readonly #ledger: CapacityLedger;
  #store: EntryStore;
  #senders: SenderLoop | undefined;
  #recovery: Promise<void> | undefined;
  /** `handed_over`: queued items went to a successor (or were given up); no new ones come. */
  #state: "idle" | "running" | "draining" | "handed_over" | "stopped" = "idle";
  readonly #handOver: HandOver;
  readonly #health: EndpointHealth;
  readonly #books: DeliveryAccounting;

  constructor(options: DeliveryQueueOptions) {
    this.#o = options;
    this.#labels = { component_id: options.componentId, endpoint: options.endpoint };
    const now = options.now ?? Date.now;
    this.#health = new EndpointHealth(
      options.endpoint,
      options.logger,
      now,
      options.repeatIntervalMs,
    );
    this.#ledger = new CapacityLedger(ledgerLimits(options));
    this.#store = this.#newStore(undefined);
    this.#books = new DeliveryAccounting({
      endpoint: options.endpoint,
      labels: this.#labels,
      metrics: options.metrics,
      logger: options.logger,
      ledger: this.#ledger,
      health: this.#health,
      store: () => this.#store,
      handedOver: () => this.#handOver.handedOver,
      repeatIntervalMs: options.repeatIntervalMs,
      now,
    });
    this.#handOver = new HandOver(this.#books);
  }

  #newStore(spool: Spool | undefined): EntryStore {
    return new EntryStore(spool, this.#o.config.max_bytes, {
      counted: (profiles) => this.#o.metrics.queueProfiles.add(this.#labels, profiles),
      arrived: () => {
        this.#books.gauges();
        this.#senders?.wakeOne();
      },
    });
  }

  /** Opens the spool (if any) and starts the senders. */
  async start(): Promise<void> {
    if (this.#state !== "idle") return;
    if (this.#o.spoolDirectory !== undefined) {
      const spool = await Spool.open(this.#o.spoolDirectory, {
        fsync: this.#o.config.spool?.fsync,
        writeFile: this.#o.spoolWriteFile,
      });
      this.#store = this.#newStore(spool);
      this.#recovery = spool.recover().then((refs) =>
        this.#books.adopt(refs, this.#o.config.spool!.max_bytes)
      ).catch((error) => {
        this.#o.logger.error("could not recover the spool", {
          endpoint: this.#o.endpoint,
          err: error,
        });
      });
    }
    this.#state = "running";
    this.#senders = new SenderLoop({
      ...this.#o,
      labels: this.#labels,
      store: this.#store,
      batch: this.#o.config,
      health: this.#health,
      running: () => this.#state === "running",
      retired: () => this.#handOver.retired,
      finish: (entries, how, reason, cause) => this.#books.count(entries, how, reason, cause),
      handOn: (batch) => this.#handOver.passOn(batch),
      requeued: () => this.#books.enforceSpoolCap(this.#o.config.spool!.max_bytes),
      damaged: (entry, error) => this.#books.quarantine(entry, error),
    });
    this.#senders.start(this.#o.config.senders);
  }

  /** Items held (queued and in flight). */
  get size(): number {
    return this.#ledger.items;
  }

  /**
   * Throws the refusal `demand` would get now: `TooLargeError` when it can never fit (more
   * bytes than the queue or spool holds, more items than the queue holds),
   * {@linkcode BackpressureError} when the queue is full or stopping. With a spool only size
   * limits apply: a full spool drops its oldest items instead of refusing new ones.
   */
  check(demand: Demand): void {
    if (this.#state !== "running" && this.#state !== "idle") {
      throw new BackpressureError(`the delivery queue of ${this.#o.endpoint} is ${this.#state}`);
    }
    this.#ledger.check(demand);
  }

  /**
   * Holds room for `parcels` (and, with a spool, writes them to disk), or refuses all of them.
   * Committing queues them for the senders, each owning its bytes; releasing gives the room
   * back and removes their spool files.
   */
  async reserve(parcels: readonly Parcel[]): Promise<Reservation> {
    let bytes = 0;
    for (const parcel of parcels) bytes += parcel.bytes;
    const demand = { items: parcels.length, bytes };
    this.check(demand);
    if (this.#state !== "running") {
      throw new BackpressureError(`the delivery queue of ${this.#o.endpoint} is not started`);
    }
    const store = this.#store;
    if (!store.spool) {
      return this.#ledger.reserve(demand, () => this.#queue(parcels, []));
    }
    // Room is held while the files are written, so concurrent requests cannot overfill.
    let written = false;
    let refs: SpoolRef[] = [];
    const reservation = this.#ledger.reserve(
      demand,
      () => this.#queue(parcels, refs),
      async () => {
        if (written) await store.unspool(refs);
      },
    );
    try {
      refs = await store.spoolAll(parcels, this.#o.endpoint);
      written = true;
    } catch (error) {
      await reservation.release();
      if (error instanceof UnavailableError) {
        let profiles = 0;
        for (const parcel of parcels) profiles += parcel.profiles;
        this.#books.spoolRefused(error.reason, error.message, profiles);
      }
      throw error;
    }
    this.#books.spoolWritten();
    return reservation;
  }

  /** Queues committed parcels (with their spool files, if any). */
  #queue(parcels: readonly Parcel[], refs: readonly SpoolRef[]): void {
    const store = this.#store;
    parcels.forEach((parcel, i) => {
      this.#health.waiting(parcel.profiles);
      store.push(store.entryFor(parcel.queued, parcel.bytes, parcel.profiles, refs[i]));
    });
    if (store.spool) this.#books.enforceSpoolCap(this.#o.config.spool!.max_bytes);
  }

  /**
   * Stops. With a spool: in-flight requests finish, everything else stays on disk for the next
   * start. Without: keeps delivering for up to `drain_timeout` (ending early enough for the
   * shutdown deadline), then counts what is left as dropped (reason `shutdown`) and says so in
   * one warn line. After {@linkcode handOver} it only waits for the requests in flight. Safe
   * twice.
   */
  async shutdown(): Promise<void> {
    const senders = this.#senders;
    if (this.#state === "stopped" || this.#state === "draining") {
      await senders?.done();
      return;
    }
    const store = this.#store;
    if (this.#handOver.retired) {
      this.#state = "draining";
      await senders?.done();
      await this.#books.settled();
      await store.spool?.close();
      this.#state = "stopped";
      return;
    }
    const hadSpool = store.spool !== undefined;
    this.#state = "draining";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let drainMs = this.#o.config.drain_timeout;
    if (hadSpool || this.#ledger.items === 0) {
      senders?.stop();
    } else {
      const deadline = this.#o.shutdownDeadline?.();
      if (deadline !== undefined) {
        // Leave time to count and report what is given up before the process must exit.
        drainMs = Math.max(0, Math.min(drainMs, deadline - Date.now() - 500));
      }
      timer = setTimeout(() => senders?.stop(true), drainMs);
    }
    senders?.wakeAll();
    await senders?.done();
    if (timer !== undefined) clearTimeout(timer);
    await this.#recovery;
    await this.#books.settled();
    // Items on disk stay for the next owner; items that never were (handed over from a queue
    // without a spool) are given up like any unspooled item.
    const left = store.drain().filter((entry) => !hadSpool || entry.ref === undefined);
    if (left.length > 0) {
      this.#books.giveUp(left, "shutdown", `drain_timeout ${formatDuration(drainMs)}`);
    }
    if (hadSpool) {
      this.#ledger.free({ items: this.#ledger.items, bytes: this.#ledger.bytes });
      store.clear();
      this.#books.gauges();
    }
    await this.#books.settled();
    await store.spool?.close();
    this.#state = "stopped";
  }

  /**
   * Hands this queue over to `successor`, the queue of the same endpoint in the exporter
   * instance that replaces this one on a reload (see `hand_over.ts`). Call once no new items
   * can reach this queue. Returns what was handed over (profiles, bytes) and how.
   */
  handOver(successor: DeliveryQueue): { profiles: number; bytes: number; via: "memory" | "spool" } {
    const profiles = this.#store.profiles;
    const bytes = this.#ledger.bytes;
    if (this.#store.spool !== undefined) {
      if (successor.#o.spoolDirectory !== this.#o.spoolDirectory) {
        this.#o.logger.warn(
          "the spool directory changed; spooled profiles stay in the old one until it is configured again",
          { endpoint: this.#o.endpoint, directory: this.#o.spoolDirectory, profiles },
        );
      }
      return { profiles, bytes, via: "spool" };
    }
    this.#handOver.to(successor);
    this.#retire();
    this.#handOver.passOn(this.#store.drain());
    return { profiles, bytes, via: "memory" };
  }

  /**
   * Gives up everything held, now and as batches in flight come back, with one warn line and
   * the count under `reason` (e.g. `endpoint_removed`: the reload removed this endpoint from an
   * exporter that stays). Spool files are deleted.
   */
  async retire(reason: string): Promise<void> {
    this.#handOver.retire(reason);
    this.#retire();
    await this.#recovery;
    this.#handOver.giveUp(this.#store.drain(), "removed from the config by a reload");
  }

  #retire(): void {
    if (this.#state === "running" || this.#state === "idle") this.#state = "handed_over";
    this.#senders?.retire();
  }

  /** Takes entries handed over by a predecessor, ahead of everything queued here. */
  receiveHandOver(entries: readonly Entry[]): boolean {
    if (this.#state !== "running") return false;
    const store = this.#store;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      this.#ledger.add({ items: 1, bytes: entry.bytes });
      store.push({
        queued: entry.queued,
        loading: undefined,
        ref: undefined,
        bytes: entry.bytes,
        profiles: entry.profiles,
      }, true);
      this.#health.waiting(entry.profiles);
    }
    return true;
  }

  /** For the status page. */
  status(): DeliveryQueueStatus {
    const pausedUntil = this.#senders?.pausedUntil ?? 0;
    const paused = pausedUntil > Date.now();
    const health = this.#health.status(paused);
    const spool = this.#store.spool;
    return {
      endpoint: this.#o.endpoint,
      health: health.health,
      failing_since: health.failing_since,
      consecutive_failures: health.consecutive_failures,
      queued_profiles: this.#store.profiles,
      queued_bytes: this.#ledger.bytes,
      in_flight_requests: this.#senders?.inFlight ?? 0,
      spool_bytes: spool ? spool.bytes : null,
      last_error: health.last_error,
      last_success: health.last_success,
      paused_until: paused ? new Date(pausedUntil).toISOString() : null,
    };
  }

  /**
   * Removes this endpoint's series from every delivery metric, so `/metrics` does not keep
   * an endpoint (or component) a reload removed. Call after {@linkcode shutdown}, and only
   * when no successor counts in the same series.
   */
  forgetMetrics(): void {
    this.#books.forgetMetrics();
  }
}

/** The ledger's limits: the queue's in memory, or with a spool only the spool's size. */
function ledgerLimits(options: DeliveryQueueOptions): CapacityLimits {
  const { max_items, max_bytes, spool } = options.config;
  const owner = options.endpoint;
  const itemsSetting = "queue.max_items";
  if (options.spoolDirectory !== undefined && spool !== undefined) {
    // A full spool drops its oldest items instead of refusing new ones.
    const maxBytes = spool.max_bytes;
    const bytesSetting = "queue.spool.max_bytes";
    return {
      owner,
      maxItems: Infinity,
      maxBytes,
      itemsSetting,
      bytesSetting,
      refuseWhenFull: false,
    };
  }
  return {
    owner,
    maxItems: max_items,
    maxBytes: max_bytes,
    itemsSetting,
    bytesSetting: "queue.max_bytes",
  };
}
