/**
 * The reload hand-over of one delivery queue. When a reload replaces an exporter, the queue of
 * each endpoint that stays hands what it holds to the queue of the same endpoint in the new
 * instance, so the reload neither waits for a drain nor drops anything: without a spool the
 * entries move in memory to the successor's head at once, and a batch still in flight follows
 * if its attempt fails ({@linkcode HandOver.passOn}); with a spool the files stay on disk and
 * the successor adopts them when the directory is released (`spool.ts`). A queue whose
 * endpoint the reload removed is retired: what it holds, and what comes back from flight, is
 * given up under a counted reason.
 *
 * @module
 */

import type { Entry } from "./entry_store.ts";

/** The queue that takes over: it queues `entries` ahead of its own, or says it cannot. */
export interface HandOverTarget {
  receiveHandOver(entries: readonly Entry[]): boolean;
}

/** What the hand-over does with entries at the queue it leaves. */
export interface HandOverHost {
  /** Entries moved to the successor: uncount them here. */
  moved(entries: readonly Entry[]): void;
  /** Entries nobody takes: drop them with one warn line. */
  giveUp(entries: readonly Entry[], reason: string, why: string): void;
}

/** See the module doc. */
export class HandOver {
  readonly #host: HandOverHost;
  #successor: HandOverTarget | undefined;
  #reason = "endpoint_removed";
  #retired = false;

  constructor(host: HandOverHost) {
    this.#host = host;
  }

  /** Whether the queue was handed over or retired: whatever it still holds moves on. */
  get retired(): boolean {
    return this.#retired;
  }

  /** Whether a successor took over (its metric series are shared: leave the gauges to it). */
  get handedOver(): boolean {
    return this.#successor !== undefined;
  }

  /** From now on, entries go to `successor`. */
  to(successor: HandOverTarget): void {
    this.#successor = successor;
    this.#retired = true;
  }

  /** From now on, entries are given up under `reason`. */
  retire(reason: string): void {
    this.#reason = reason;
    this.#retired = true;
  }

  /** Moves `entries` to the successor's head, or gives them up when there is none. */
  passOn(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    if (this.#successor?.receiveHandOver(entries) !== true) {
      this.#host.giveUp(entries, this.#reason, "no successor took them");
      return;
    }
    this.#host.moved(entries);
  }

  /** Gives `entries` up under the retirement reason (the endpoint was removed). */
  giveUp(entries: readonly Entry[], why: string): void {
    if (entries.length > 0) this.#host.giveUp(entries, this.#reason, why);
  }
}
