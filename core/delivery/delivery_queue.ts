/**
 * The delivery queue of one endpoint, shared by every network exporter: a bounded FIFO (items
 * and bytes), `senders` concurrent requests, batching of consecutive items that may share a
 * request, jittered exponential backoff per batch (Alloy's semantics), `Retry-After` pausing
 * the whole endpoint, permanent failures dropped at once with a counted reason (and batches
 * split so one bad item does not take the others with it), and an optional on-disk spool.
 *
 * Items come in through the admission API (`check`, `reserve` → commit or release; see
 * `core/admission.ts`): reserved room counts as held, so several requests reserving at once
 * never overfill the queue. Without a spool a full queue refuses new items (backpressure for
 * the caller). With a spool, items are on disk before `reserve` resolves, payloads beyond
 * `max_bytes` stay on disk until sent, retries never give up (a batch that used its attempts
 * goes back to the tail), and only a full spool drops the oldest items (reason `spool_full`).
 *
 * The exporter supplies `send` (one request for a batch) and `batchKey`; it never handles
 * retries, timers or disk itself.
 *
 * Health is loud (`core/telemetry/log_repeat.ts`): the first failed attempt of an endpoint is a
 * warn line with the root cause (`core/root_cause.ts`), repeats come at most once a minute with
 * counts, recovery is one info line with the outage length and how many profiles waited.
 * Every drop is counted by reason and warned about the same way; a shutdown that gives up
 * queued profiles says how many. On a reload a successor queue for the same endpoint takes
 * over what is queued ({@linkcode DeliveryQueue.handOver}), so nothing waits for a drain.
 *
 * @module
 */

import {
  BackpressureError,
  type Demand,
  holdOnce,
  type Reservation,
  type SizedItem,
  TooLargeError,
} from "../admission.ts";
import { formatDuration } from "../duration.ts";
import type { Logger } from "../telemetry/logger.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";
import { EndpointHealth, type EndpointHealthState } from "./endpoint_health.ts";
import { rootCause } from "../root_cause.ts";
import { Backoff } from "./backoff.ts";
import type { DeliveryMetrics } from "./delivery_metrics.ts";
import type { QueuedItem } from "./item_codec.ts";
import type { Outcome } from "./outcome.ts";
import type { QueueConfig } from "./queue_config.ts";
import { Spool, type SpoolRef } from "./spool.ts";

/** Retry settings of an endpoint (Alloy's `*_backoff_*` arguments, in ms). */
export interface RetrySettings {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Total attempts per batch; 0 = forever. */
  readonly maxAttempts: number;
}

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
}

/** One queued item; `queued` is unset while the payload lives only in the spool. */
interface Entry {
  queued: QueuedItem | undefined;
  loading: Promise<void> | undefined;
  readonly ref: SpoolRef | undefined;
  readonly bytes: number;
  readonly profiles: number;
  /** Set once the entry is counted sent or dropped. */
  done?: boolean;
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
  #entries: Entry[] = [];
  #head = 0;
  /** Items and bytes held (queued plus in flight). */
  #items = 0;
  #bytes = 0;
  /** Items and bytes reserved by requests that are not yet committed or released. */
  #reservedItems = 0;
  #reservedBytes = 0;
  /** Payload bytes held in memory. */
  #memoryBytes = 0;
  #inFlight = 0;
  #spool: Spool | undefined;
  #recovery: Promise<void> | undefined;
  #senders: Promise<void>[] = [];
  #wakers: (() => void)[] = [];
  #pausedUntil = 0;
  /** `handed_over`: queued items went to a successor (or were given up); no new ones come. */
  #state: "idle" | "running" | "draining" | "handed_over" | "stopped" = "idle";
  /** The queue that takes over batches still in flight here (reload, same endpoint). */
  #successor: DeliveryQueue | undefined;
  /** Why items still here after a hand-over are given up (no successor). */
  #retireReason = "endpoint_removed";
  /** Set by a hand-over or retirement: whatever is still here goes on or is given up. */
  #retired = false;
  /** Ends every backoff sleep at once (hand-over). */
  readonly #yield = new AbortController();
  /** Aborts sleeps (and, at the drain deadline, requests). */
  readonly #stop = new AbortController();
  readonly #hardStop = new AbortController();
  /** Profiles held (queued and in flight). */
  #profiles = 0;
  readonly #health: EndpointHealth;
  readonly #now: () => number;
  readonly #repeats: LogRepeater;
  readonly #removals = new Set<Promise<void>>();

  constructor(options: DeliveryQueueOptions) {
    this.#o = options;
    this.#labels = { component_id: options.componentId, endpoint: options.endpoint };
    this.#now = options.now ?? Date.now;
    this.#repeats = new LogRepeater(options.logger, {
      intervalMs: options.repeatIntervalMs,
      now: this.#now,
    });
    this.#health = new EndpointHealth(
      options.endpoint,
      options.logger,
      this.#now,
      options.repeatIntervalMs,
    );
  }

  /** Opens the spool (if any) and starts the senders. */
  async start(): Promise<void> {
    if (this.#state !== "idle") return;
    if (this.#o.spoolDirectory !== undefined) {
      const spool = await Spool.open(this.#o.spoolDirectory, {
        fsync: this.#o.config.spool?.fsync,
      });
      this.#spool = spool;
      this.#recovery = spool.recover().then((refs) => this.#adopt(refs)).catch((error) => {
        this.#o.logger.error("could not recover the spool", {
          endpoint: this.#o.endpoint,
          err: error,
        });
      });
    }
    this.#state = "running";
    for (let i = 0; i < this.#o.config.senders; i++) this.#senders.push(this.#senderLoop());
  }

  /** Items held (queued and in flight). */
  get size(): number {
    return this.#items;
  }

  /**
   * Throws the refusal `demand` would get now: {@linkcode TooLargeError} when it can never fit
   * (more bytes than the queue or spool holds, more items than the queue holds),
   * {@linkcode BackpressureError} when the queue is full or stopping. With a spool only size
   * limits apply: a full spool drops its oldest items instead of refusing new ones.
   */
  check(demand: Demand): void {
    const endpoint = this.#o.endpoint;
    if (this.#state !== "running" && this.#state !== "idle") {
      throw new BackpressureError(`the delivery queue of ${endpoint} is ${this.#state}`);
    }
    const { max_items, max_bytes, spool } = this.#o.config;
    const spooled = this.#o.spoolDirectory !== undefined && spool !== undefined;
    const [limit, setting] = spooled
      ? [spool.max_bytes, "queue.spool.max_bytes"]
      : [max_bytes, "queue.max_bytes"];
    if (demand.bytes > limit) {
      throw new TooLargeError(
        `${demand.bytes} bytes of profiles are more than ${setting} (${limit}) of ${endpoint}`,
      );
    }
    if (spooled) return;
    if (demand.items > max_items) {
      throw new TooLargeError(
        `${demand.items} items are more than queue.max_items (${max_items}) of ${endpoint}`,
      );
    }
    if (
      this.#items + this.#reservedItems + demand.items > max_items ||
      this.#bytes + this.#reservedBytes + demand.bytes > max_bytes
    ) {
      throw new BackpressureError(
        `the queue of ${endpoint} is full (${this.#items} items, ${this.#bytes} bytes held); ` +
          "retry later",
      );
    }
  }

  /**
   * Holds room for `parcels` (and, with a spool, writes them to disk), or refuses all of them.
   * Committing queues them for the senders; releasing gives the room back and removes their
   * spool files.
   */
  async reserve(parcels: readonly Parcel[]): Promise<Reservation> {
    let bytes = 0;
    for (const parcel of parcels) bytes += parcel.bytes;
    this.check({ items: parcels.length, bytes });
    if (this.#state !== "running") {
      throw new BackpressureError(`the delivery queue of ${this.#o.endpoint} is not started`);
    }
    this.#reservedItems += parcels.length;
    this.#reservedBytes += bytes;
    const unhold = () => {
      this.#reservedItems -= parcels.length;
      this.#reservedBytes -= bytes;
    };
    const spool = this.#spool;
    let refs: readonly (SpoolRef | undefined)[] = [];
    if (spool) {
      const written = await Promise.allSettled(
        parcels.map((parcel) => spool.write(parcel.queued, parcel.profiles)),
      );
      refs = written.map((result) => result.status === "fulfilled" ? result.value : undefined);
      const failed = written.find((result) => result.status === "rejected");
      if (failed) {
        unhold();
        await Promise.all(refs.map((ref) => ref && spool.remove(ref).catch(() => {})));
        throw new Error(`cannot write to the spool of ${this.#o.endpoint}`, {
          cause: failed.reason,
        });
      }
    }
    return holdOnce(
      unhold,
      () => {
        for (const parcel of parcels) this.#health.waiting(parcel.profiles);
        parcels.forEach((parcel, i) => {
          const inMemory = !spool ||
            this.#memoryBytes + parcel.bytes <= this.#o.config.max_bytes;
          this.#push({
            queued: inMemory ? parcel.queued : undefined,
            loading: undefined,
            ref: refs[i],
            bytes: parcel.bytes,
            profiles: parcel.profiles,
          });
        });
        if (spool) this.#enforceSpoolCap();
      },
      async () => {
        if (!spool) return;
        await Promise.all(refs.map((ref) => ref && spool.remove(ref).catch(() => {})));
      },
    );
  }

  /**
   * Stops. With a spool: in-flight requests finish, everything else stays on disk for the next
   * start. Without: keeps delivering for up to `drain_timeout` (ending early enough for the
   * shutdown deadline), then counts what is left as dropped (reason `shutdown`) and says so in
   * one warn line. After {@linkcode handOver} it only waits for the requests in flight. Safe
   * twice.
   */
  async shutdown(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "draining") {
      await Promise.all(this.#senders);
      return;
    }
    if (this.#retired) {
      this.#state = "draining";
      await Promise.all(this.#senders);
      await Promise.all(this.#removals);
      await this.#spool?.close();
      this.#state = "stopped";
      return;
    }
    const hadSpool = this.#spool !== undefined;
    this.#state = "draining";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let drainMs = this.#o.config.drain_timeout;
    if (hadSpool || this.#items === 0) {
      this.#stop.abort();
    } else {
      const deadline = this.#o.shutdownDeadline?.();
      if (deadline !== undefined) {
        // Leave time to count and report what is given up before the process must exit.
        drainMs = Math.max(0, Math.min(drainMs, deadline - Date.now() - 500));
      }
      timer = setTimeout(() => {
        this.#stop.abort();
        this.#hardStop.abort();
      }, drainMs);
    }
    this.#wakeAll();
    await Promise.all(this.#senders);
    if (timer !== undefined) clearTimeout(timer);
    await this.#recovery;
    await Promise.all(this.#removals);
    const left: Entry[] = [];
    if (!hadSpool) {
      for (let entry = this.#shift(); entry; entry = this.#shift()) left.push(entry);
    } else {
      // Items on disk stay for the next owner; items that never were (handed over from a
      // queue without a spool) are given up like any unspooled item.
      for (let entry = this.#shift(); entry; entry = this.#shift()) {
        if (entry.ref === undefined) left.push(entry);
      }
    }
    if (left.length > 0) this.#giveUp(left, "shutdown", `drain_timeout ${formatDuration(drainMs)}`);
    if (hadSpool) {
      this.#entries = [];
      this.#head = 0;
      this.#items = 0;
      this.#bytes = 0;
      this.#profiles = 0;
      this.#memoryBytes = 0;
      this.#gauges();
    }
    await Promise.all(this.#removals);
    await this.#spool?.close();
    this.#state = "stopped";
  }

  /**
   * Hands this queue over to `successor`, the queue of the same endpoint in the exporter
   * instance that replaces this one on a reload. Call once no new items can reach this queue.
   * Without a spool every queued item moves to the head of `successor` at once (oldest first)
   * and a batch still in flight follows if its attempt fails, so nothing is dropped or sent
   * twice. With a spool in the same directory the items stay on disk and `successor` adopts
   * them once this queue's {@linkcode shutdown} releases the directory. Returns what was
   * handed over (profiles, bytes) and how.
   */
  handOver(successor: DeliveryQueue): { profiles: number; bytes: number; via: "memory" | "spool" } {
    const profiles = this.#profiles;
    const bytes = this.#bytes;
    if (this.#spool !== undefined) {
      if (successor.#o.spoolDirectory !== this.#o.spoolDirectory) {
        this.#o.logger.warn(
          "the spool directory changed; spooled profiles stay in the old one until it is configured again",
          { endpoint: this.#o.endpoint, directory: this.#o.spoolDirectory, profiles },
        );
      }
      return { profiles, bytes, via: "spool" };
    }
    this.#successor = successor;
    this.#retire();
    const moved: Entry[] = [];
    for (let entry = this.#shift(); entry; entry = this.#shift()) moved.push(entry);
    this.#passOn(moved);
    return { profiles, bytes, via: "memory" };
  }

  /**
   * Gives up everything held, now and as batches in flight come back, with one warn line and
   * the count under `reason` (e.g. `endpoint_removed`: the reload removed this endpoint from an
   * exporter that stays). Spool files are deleted.
   */
  async retire(reason: string): Promise<void> {
    this.#retireReason = reason;
    this.#retire();
    await this.#recovery;
    const left: Entry[] = [];
    for (let entry = this.#shift(); entry; entry = this.#shift()) left.push(entry);
    if (left.length > 0) this.#giveUp(left, reason, "removed from the config by a reload");
  }

  #handedOver(): boolean {
    return this.#retired;
  }

  #retire(): void {
    this.#retired = true;
    if (this.#state === "running" || this.#state === "idle") this.#state = "handed_over";
    this.#stop.abort();
    this.#yield.abort();
    this.#wakeAll();
  }

  /** Moves entries to the successor's head, or gives them up when there is none. */
  #passOn(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const successor = this.#successor;
    if (!successor || !successor.#receive(entries)) {
      this.#giveUp(entries, this.#retireReason, "no successor took them");
      return;
    }
    for (const entry of entries) this.#unaccount(entry);
    this.#gauges();
  }

  /** Takes entries handed over by a predecessor, ahead of everything queued here. */
  #receive(entries: readonly Entry[]): boolean {
    if (this.#state !== "running") return false;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      this.#push({
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

  /** Drops `entries` under `reason` with one warn line naming how many and why. */
  #giveUp(entries: readonly Entry[], reason: string, why: string): void {
    let profiles = 0;
    let bytes = 0;
    for (const entry of entries) {
      profiles += entry.profiles;
      bytes += entry.bytes;
    }
    this.#count(entries, "dropped", reason, undefined, false);
    this.#o.logger.warn(
      `gave up ${profiles} profiles (${bytes} bytes) queued for ${this.#o.endpoint}`,
      {
        endpoint: this.#o.endpoint,
        reason,
        profiles,
        bytes,
        why,
        last_error: this.#health.lastError ?? "",
      },
    );
  }

  /**
   * Removes this endpoint's series from every delivery metric, so `/metrics` does not keep
   * an endpoint (or component) a reload removed. Call after {@linkcode shutdown}, and only
   * when no successor counts in the same series.
   */
  forgetMetrics(): void {
    const m = this.#o.metrics;
    for (
      const metric of [
        m.sentProfiles,
        m.sentBytes,
        m.droppedProfiles,
        m.droppedBytes,
        m.retries,
        m.requests,
        m.queueProfiles,
        m.queueBytes,
        m.spoolBytes,
        m.latency,
      ]
    ) metric.removeMatching(this.#labels);
  }

  /** For the status page. */
  status(): DeliveryQueueStatus {
    const paused = this.#pausedUntil > Date.now();
    const health = this.#health.status(paused);
    return {
      endpoint: this.#o.endpoint,
      health: health.health,
      failing_since: health.failing_since,
      consecutive_failures: health.consecutive_failures,
      queued_profiles: this.#profiles,
      queued_bytes: this.#bytes,
      in_flight_requests: this.#inFlight,
      spool_bytes: this.#spool ? this.#spool.bytes : null,
      last_error: health.last_error,
      last_success: health.last_success,
      paused_until: paused ? new Date(this.#pausedUntil).toISOString() : null,
    };
  }

  // ---- queue ------------------------------------------------------------------------------

  #push(entry: Entry, front = false): void {
    if (front && this.#head > 0) {
      this.#entries[--this.#head] = entry;
    } else if (front) {
      this.#entries.unshift(entry);
    } else {
      this.#entries.push(entry);
    }
    this.#items++;
    this.#bytes += entry.bytes;
    this.#profiles += entry.profiles;
    if (entry.queued) this.#memoryBytes += entry.bytes;
    this.#o.metrics.queueProfiles.add(this.#labels, entry.profiles);
    this.#gauges();
    this.#wakers.shift()?.();
  }

  /** Takes the head entry out of the queue (it stays counted until finished). */
  #shift(): Entry | undefined {
    if (this.#head >= this.#entries.length) return undefined;
    const entry = this.#entries[this.#head]!;
    this.#entries[this.#head] = undefined as unknown as Entry;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  #peek(offset = 0): Entry | undefined {
    return this.#entries[this.#head + offset];
  }

  #queued(): number {
    return this.#entries.length - this.#head;
  }

  #adopt(refs: readonly SpoolRef[]): void {
    if (refs.length === 0) return;
    this.#o.logger.info("recovered spooled items", {
      endpoint: this.#o.endpoint,
      items: refs.length,
    });
    for (const ref of refs) {
      this.#push({
        queued: undefined,
        loading: undefined,
        ref,
        bytes: ref.bytes,
        profiles: ref.profiles,
      });
    }
    this.#enforceSpoolCap();
  }

  #enforceSpoolCap(): void {
    const spool = this.#spool!;
    const cap = this.#o.config.spool!.max_bytes;
    while (spool.bytes > cap && this.#queued() > 1) {
      const oldest = this.#shift()!;
      this.#count([oldest], "dropped", "spool_full", `queue.spool.max_bytes (${cap}) reached`);
    }
    this.#gauges();
  }

  #gauges(): void {
    // A queue that handed over shares its series with its successor: leave them to it.
    if (this.#successor) return;
    this.#o.metrics.queueBytes.set(this.#labels, this.#bytes);
    if (this.#spool) this.#o.metrics.spoolBytes.set(this.#labels, this.#spool.bytes);
  }

  /**
   * Ends entries: counts them sent or dropped and frees memory and spool files. A drop is
   * warned about (once, then at most once a minute with counts) unless `warn` is false because
   * the caller writes its own line.
   */
  #count(
    entries: readonly Entry[],
    how: "sent" | "dropped",
    reason = "",
    cause?: string,
    warn = true,
  ): void {
    let profiles = 0;
    let bytes = 0;
    for (const entry of entries) {
      profiles += entry.profiles;
      bytes += entry.bytes;
      this.#items--;
      this.#bytes -= entry.bytes;
      this.#profiles -= entry.profiles;
      if (entry.queued) this.#memoryBytes -= entry.bytes;
      entry.queued = undefined;
      entry.done = true;
      if (entry.ref && this.#spool) {
        const removal = this.#spool.remove(entry.ref).catch((error) => {
          this.#o.logger.warn("could not remove a spool file", { err: error });
        }).finally(() => {
          this.#removals.delete(removal);
          this.#gauges();
        });
        this.#removals.add(removal);
      }
    }
    const m = this.#o.metrics;
    m.queueProfiles.add(this.#labels, -profiles);
    if (how === "sent") {
      m.sentProfiles.inc(this.#labels, profiles);
      m.sentBytes.inc(this.#labels, bytes);
    } else {
      const labels = { ...this.#labels, reason };
      m.droppedProfiles.inc(labels, profiles);
      m.droppedBytes.inc(labels, bytes);
      if (warn) {
        this.#repeats.warn(
          `dropped:${reason}`,
          DROP_MESSAGES[reason] ?? "dropped profiles",
          { endpoint: this.#o.endpoint, reason, cause: cause ?? this.#health.lastError ?? "" },
          profiles,
          "profiles",
        );
      }
    }
    this.#gauges();
  }

  // ---- senders ----------------------------------------------------------------------------

  #wakeAll(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }

  #waitForWork(): Promise<void> {
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  async #senderLoop(): Promise<void> {
    while (true) {
      if (this.#retired) return;
      const stopping = this.#stop.signal.aborted;
      if (stopping && (this.#spool || this.#hardStop.signal.aborted)) return;
      if (this.#state === "draining" && !this.#spool && this.#queued() === 0) return;
      const batch = await this.#takeBatch();
      if (batch === undefined) {
        if (this.#state !== "running") return;
        await this.#waitForWork();
        continue;
      }
      await this.#deliver(batch);
    }
  }

  /** The head entry plus following loaded entries with the same batch key, within limits. */
  async #takeBatch(): Promise<Entry[] | undefined> {
    const head = this.#shift();
    if (!head) return undefined;
    if (!(await this.#load(head))) return this.#takeBatch();
    const batch = [head];
    const key = this.#o.batchKey(head.queued!);
    if (key !== undefined) {
      let bytes = head.bytes;
      const { batch_max_bytes, batch_max_items } = this.#o.config;
      for (let next = this.#peek(); next && batch.length < batch_max_items; next = this.#peek()) {
        if (!next.queued || bytes + next.bytes > batch_max_bytes) break;
        if (this.#o.batchKey(next.queued) !== key) break;
        batch.push(this.#shift()!);
        bytes += next.bytes;
      }
    }
    this.#prefetch();
    return batch;
  }

  /**
   * Reads a spooled payload into memory; a damaged file is quarantined (`*.corrupt`) and
   * dropped (reason spool_corrupt).
   */
  async #load(entry: Entry): Promise<boolean> {
    if (entry.queued) return true;
    entry.loading ??= this.#spool!.read(entry.ref!).then((queued) => {
      if (entry.done) return;
      entry.queued = queued;
      this.#memoryBytes += entry.bytes;
    });
    try {
      await entry.loading;
      return true;
    } catch (error) {
      // Moved aside (not deleted) so it can be inspected; counted and skipped, never retried.
      const moved = await this.#spool!.quarantine(entry.ref!).catch((cause) => {
        this.#o.logger.warn("could not move a damaged spool file aside", {
          file: entry.ref?.name,
          err: cause,
        });
        return undefined;
      });
      if (entry.done) return false;
      this.#count(
        [entry],
        "dropped",
        "spool_corrupt",
        `${entry.ref?.name}: ${rootCause(error)}${moved ? `; moved to ${moved}` : ""}`,
      );
      return false;
    }
  }

  /** Starts reading the next spooled payloads while memory allows, so batches can form. */
  #prefetch(): void {
    if (!this.#spool) return;
    let budget = this.#o.config.batch_max_bytes;
    for (let i = 0; i < this.#o.config.batch_max_items; i++) {
      const next = this.#peek(i);
      if (!next || budget <= 0) return;
      budget -= next.bytes;
      if (next.queued || next.loading) continue;
      if (this.#memoryBytes + next.bytes > this.#o.config.max_bytes) return;
      void this.#load(next);
    }
  }

  /** Delivers one batch with retries; every entry ends counted (or back in the queue). */
  async #deliver(batch: Entry[]): Promise<void> {
    this.#inFlight++;
    try {
      await this.#attemptAll(batch);
    } finally {
      this.#inFlight--;
    }
  }

  async #attemptAll(batch: Entry[]): Promise<void> {
    const { retry } = this.#o;
    const backoff = new Backoff({
      minMs: retry.minBackoffMs,
      maxMs: retry.maxBackoffMs,
      maxAttempts: retry.maxAttempts,
    });
    const kind = batch[0]!.queued!.item.kind;
    // One array per batch for all its attempts, so a sender can cache what it built from it.
    const items = batch.map((e) => e.queued!);
    while (true) {
      await this.#sleep(this.#pausedUntil - Date.now());
      if (this.#handedOver()) return this.#passOn(batch);
      if (this.#hardStop.signal.aborted || (this.#stop.signal.aborted && this.#spool)) {
        return this.#putBack(batch);
      }
      const started = performance.now();
      let outcome: Outcome;
      try {
        outcome = await this.#o.send(items, this.#hardStop.signal);
      } catch (error) {
        outcome = { kind: "retry", reason: "send_error", message: rootCause(error) };
      }
      this.#o.metrics.latency.observe(
        { ...this.#labels, kind },
        (performance.now() - started) / 1000,
      );
      this.#o.metrics.requests.inc({ ...this.#labels, outcome: outcome.kind });
      if (outcome.kind === "ok") {
        this.#health.succeeded();
        return this.#count(batch, "sent");
      }
      this.#health.lastError = outcome.message;
      if (outcome.kind === "drop") {
        if (outcome.splittable && batch.length > 1) {
          for (const entry of batch) await this.#attemptAll([entry]);
          return;
        }
        // A refusal of the items themselves says nothing about the endpoint's health.
        if (!outcome.splittable) {
          this.#health.failed(outcome.reason, outcome.message, this.#profiles);
        }
        return this.#count(batch, "dropped", outcome.reason, outcome.message);
      }
      if (this.#hardStop.signal.aborted) return this.#putBack(batch);
      this.#health.failed(outcome.reason, outcome.message, this.#profiles);
      if (this.#handedOver()) return this.#passOn(batch);
      const delay = backoff.next();
      if (backoff.exhausted) {
        if (this.#spool) {
          // Spooled items are never given up for a transient failure: back to the tail, so
          // newer items get their turn, until the spool cap drops the oldest.
          for (const entry of batch) this.#requeueTail(entry);
          return;
        }
        return this.#count(batch, "dropped", "retries_exhausted", outcome.message);
      }
      this.#o.metrics.retries.inc({ ...this.#labels, reason: outcome.reason });
      this.#o.logger.debug("attempt failed; retrying", {
        endpoint: this.#o.endpoint,
        reason: outcome.reason,
        attempt: backoff.attempts,
      });
      if (outcome.retryAfterMs !== undefined) {
        // The server asked everyone to wait: pause the whole endpoint, not just this batch.
        this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + outcome.retryAfterMs);
        await this.#sleep(Math.max(delay, outcome.retryAfterMs));
      } else {
        await this.#sleep(delay);
      }
    }
  }

  /** Returns a batch to the head of the queue (spool on, or the drain deadline passed). */
  #putBack(batch: readonly Entry[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      const entry = batch[i]!;
      this.#unaccount(entry);
      this.#push(entry, true);
    }
  }

  #requeueTail(entry: Entry): void {
    this.#unaccount(entry);
    this.#push(entry);
  }

  /** Undoes the counting `#push` did, before the entry is pushed again. */
  #unaccount(entry: Entry): void {
    this.#items--;
    this.#bytes -= entry.bytes;
    this.#profiles -= entry.profiles;
    if (entry.queued) this.#memoryBytes -= entry.bytes;
    this.#o.metrics.queueProfiles.add(this.#labels, -entry.profiles);
  }

  /**
   * Sleeps `ms`, cut short by shutdown or a hand-over; while draining, sleeps never outlast
   * the deadline.
   */
  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    const stop = this.#spool ? this.#stop.signal : this.#hardStop.signal;
    const signals = [stop, this.#yield.signal];
    if (signals.some((signal) => signal.aborted)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const signal of signals) signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const signal of signals) signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** The warn line of each drop reason (others: "dropped profiles"). */
const DROP_MESSAGES: Readonly<Record<string, string>> = {
  retries_exhausted: "gave up on profiles after max_backoff_retries attempts",
  spool_full: "spool full; dropped the oldest profiles",
  spool_corrupt: "dropped profiles from a damaged spool file",
};
