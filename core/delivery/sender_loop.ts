/**
 * The senders of one delivery queue: `senders` loops that each take a batch from the
 * {@linkcode EntryStore} (the head entry plus following entries with the same batch key,
 * within `batch_max_items`/`batch_max_bytes`), send it, and retry it with jittered exponential
 * backoff (Alloy's semantics). A `Retry-After` answer pauses the whole endpoint, not just the
 * batch. A permanent refusal that may come from one item splits the batch so only that item
 * is dropped. With a spool, a batch that used its attempts goes back to the tail instead of
 * being given up.
 *
 * How a batch ends is the queue's business ({@linkcode SenderHost}): counted sent or dropped,
 * put back, or handed on to a successor. The loops stop on {@linkcode SenderLoop.stop}
 * (sleeps end; with `hard`, requests in flight are aborted too) or when the queue is retired
 * by a hand-over ({@linkcode SenderLoop.retire}: every sleep ends at once).
 *
 * @module
 */

import type { Logger } from "../telemetry/logger.ts";
import { rootCause } from "../root_cause.ts";
import { Backoff } from "./backoff.ts";
import type { DeliveryMetrics } from "./delivery_metrics.ts";
import type { EndpointHealth } from "./endpoint_health.ts";
import type { Entry, EntryStore } from "./entry_store.ts";
import type { QueuedItem } from "./item_codec.ts";
import type { Outcome } from "./outcome.ts";

/** Retry settings of an endpoint (Alloy's `*_backoff_*` arguments, in ms). */
export interface RetrySettings {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Total attempts per batch; 0 = forever. */
  readonly maxAttempts: number;
}

/** Batching limits (the `queue` block's `batch_max_*`). */
export interface BatchLimits {
  readonly batch_max_items: number;
  readonly batch_max_bytes: number;
}

/** What the loops need from their queue. */
export interface SenderHost {
  readonly endpoint: string;
  readonly labels: { readonly component_id: string; readonly endpoint: string };
  readonly store: EntryStore;
  readonly retry: RetrySettings;
  readonly batch: BatchLimits;
  readonly metrics: DeliveryMetrics;
  readonly health: EndpointHealth;
  readonly logger: Logger;
  batchKey(queued: QueuedItem): string | undefined;
  send(batch: readonly QueuedItem[], signal: AbortSignal): Promise<Outcome>;
  /** When a batch must be over (a caller's deadline its items carry), if ever. */
  readonly deadline?: (batch: readonly QueuedItem[]) => number | undefined;
  /** Whether new work may still come (false once the queue drains or stops). */
  running(): boolean;
  /** Whether the queue was handed over or retired: batches go to {@linkcode handOn}. */
  retired(): boolean;
  /** Ends entries: counted sent or dropped, with the drop's reason and cause. */
  finish(entries: readonly Entry[], how: "sent" | "dropped", reason?: string, cause?: string): void;
  /** A batch of a retired queue: to the successor, or given up. */
  handOn(batch: readonly Entry[]): void;
  /** Spooled entries went back to the tail: the spool cap may drop the oldest now. */
  requeued(): void;
  /** A spooled entry could not be read: quarantine and count it. */
  damaged(entry: Entry, error: unknown): Promise<void>;
}

/** See the module doc. */
export class SenderLoop {
  readonly #host: SenderHost;
  readonly #loops: Promise<void>[] = [];
  readonly #wakers: (() => void)[] = [];
  /** Ends every backoff sleep at once (hand-over). */
  readonly #yield = new AbortController();
  /** Ends sleeps; a spooled queue also stops taking batches. */
  readonly #stop = new AbortController();
  /** Aborts requests in flight (the drain deadline passed). */
  readonly #hardStop = new AbortController();
  #pausedUntil = 0;
  #inFlight = 0;

  constructor(host: SenderHost) {
    this.#host = host;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Until when (epoch ms) a `Retry-After` pauses the endpoint; 0 when never. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** Starts `count` loops. */
  start(count: number): void {
    for (let i = 0; i < count; i++) this.#loops.push(this.#run());
  }

  /** Wakes one idle loop: an entry arrived. */
  wakeOne(): void {
    this.#wakers.shift()?.();
  }

  /** Wakes every idle loop (to notice a stop). */
  wakeAll(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }

  /** Stops: sleeps end, and with `hard` requests in flight are aborted. */
  stop(hard = false): void {
    this.#stop.abort();
    if (hard) this.#hardStop.abort();
    this.wakeAll();
  }

  /** The queue was handed over or retired: every sleep ends so batches move on now. */
  retire(): void {
    this.#stop.abort();
    this.#yield.abort();
    this.wakeAll();
  }

  /** Resolves when every loop has ended. */
  async done(): Promise<void> {
    await Promise.all(this.#loops);
  }

  async #run(): Promise<void> {
    const host = this.#host;
    const spooled = host.store.spool !== undefined;
    while (true) {
      if (host.retired()) return;
      if (this.#stop.signal.aborted && (spooled || this.#hardStop.signal.aborted)) return;
      if (!host.running() && !spooled && host.store.waiting === 0) return;
      const batch = await this.#takeBatch();
      if (batch === undefined) {
        if (!host.running()) return;
        await new Promise<void>((resolve) => this.#wakers.push(resolve));
        continue;
      }
      this.#inFlight++;
      try {
        await this.#attemptAll(batch);
      } finally {
        this.#inFlight--;
      }
    }
  }

  /** The head entry plus following loaded entries with the same batch key, within limits. */
  async #takeBatch(): Promise<Entry[] | undefined> {
    const { store, batch: limits } = this.#host;
    while (true) {
      const head = store.shift();
      if (!head) return undefined;
      try {
        await store.load(head);
      } catch (error) {
        await this.#host.damaged(head, error);
        continue;
      }
      const batch = [head];
      const key = this.#host.batchKey(head.queued!);
      if (key !== undefined) {
        let bytes = head.bytes;
        for (
          let next = store.peek();
          next && batch.length < limits.batch_max_items;
          next = store.peek()
        ) {
          if (!next.queued || bytes + next.bytes > limits.batch_max_bytes) break;
          if (this.#host.batchKey(next.queued) !== key) break;
          batch.push(store.shift()!);
          bytes += next.bytes;
        }
      }
      store.prefetch(limits.batch_max_items, limits.batch_max_bytes);
      return batch;
    }
  }

  /** Delivers one batch with retries; every entry ends counted, put back or handed on. */
  async #attemptAll(batch: Entry[]): Promise<void> {
    const host = this.#host;
    const { retry, metrics, labels } = host;
    const spooled = host.store.spool !== undefined;
    const backoff = new Backoff({
      minMs: retry.minBackoffMs,
      maxMs: retry.maxBackoffMs,
      maxAttempts: retry.maxAttempts,
    });
    const kind = batch[0]!.queued!.item.kind;
    // One array per batch for all its attempts, so a sender can cache what it built from it.
    const items = batch.map((e) => e.queued!);
    const deadline = host.deadline?.(items) ?? Infinity;
    let lastError = "";
    while (true) {
      await this.#sleep(Math.min(this.#pausedUntil, deadline) - Date.now());
      if (host.retired()) return host.handOn(batch);
      if (this.#hardStop.signal.aborted || (this.#stop.signal.aborted && spooled)) {
        return host.store.putBack(batch);
      }
      if (Date.now() >= deadline) return this.#pastDeadline(batch, lastError);
      const started = performance.now();
      let outcome: Outcome;
      try {
        outcome = await host.send(items, this.#hardStop.signal);
      } catch (error) {
        outcome = { kind: "retry", reason: "send_error", message: rootCause(error) };
      }
      metrics.latency.observe({ ...labels, kind }, (performance.now() - started) / 1000);
      metrics.requests.inc({ ...labels, outcome: outcome.kind });
      if (outcome.kind === "ok") {
        host.health.succeeded();
        return host.finish(batch, "sent");
      }
      // Aborted by the drain deadline: the abort is ours, not the endpoint's, so it does not
      // become the endpoint's last error (the one a "gave up" line reports).
      if (this.#hardStop.signal.aborted) return host.store.putBack(batch);
      host.health.lastError = lastError = outcome.message;
      if (outcome.kind === "drop") {
        if (outcome.splittable && batch.length > 1) {
          for (const entry of batch) await this.#attemptAll([entry]);
          return;
        }
        // A refusal of the items themselves says nothing about the endpoint's health.
        if (!outcome.splittable) {
          host.health.failed(outcome.reason, outcome.message, host.store.profiles);
        }
        return host.finish(batch, "dropped", outcome.reason, outcome.message);
      }
      host.health.failed(outcome.reason, outcome.message, host.store.profiles);
      if (host.retired()) return host.handOn(batch);
      const delay = backoff.next();
      // A retry that could not start before the caller's deadline is not waited for.
      const wait = Math.max(delay, outcome.retryAfterMs ?? 0);
      if (!backoff.exhausted && Date.now() + wait >= deadline) {
        return this.#pastDeadline(batch, outcome.message);
      }
      if (backoff.exhausted) {
        if (spooled) {
          // Spooled items are never given up for a transient failure: back to the tail, so
          // newer items get their turn, until the spool cap drops the oldest.
          for (const entry of batch) host.store.requeueTail(entry);
          host.requeued();
          return;
        }
        return host.finish(batch, "dropped", "retries_exhausted", outcome.message);
      }
      metrics.retries.inc({ ...labels, reason: outcome.reason });
      host.logger.debug("attempt failed; retrying", {
        endpoint: host.endpoint,
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

  /** Gives a batch up: its caller's deadline passed (or would before its next attempt). */
  #pastDeadline(batch: Entry[], lastError: string): void {
    const cause = lastError === ""
      ? "its caller's deadline passed while it was queued"
      : `its caller's deadline passes before a retry could start; last error: ${lastError}`;
    this.#host.finish(batch, "dropped", "deadline_exceeded", cause);
  }

  /**
   * Sleeps `ms`, cut short by a stop or a hand-over; without a spool only a hard stop ends it,
   * so a draining queue keeps retrying until its deadline.
   */
  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    const stop = this.#host.store.spool ? this.#stop.signal : this.#hardStop.signal;
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
