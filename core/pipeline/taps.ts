/**
 * Observation points of the pipeline for the admin console, off the hot path:
 *
 * - `accepted(receiverId, items)`: a request every target queue took, as the receiver handed
 *   it in, passed to the one listener set with `onAccepted` (the console's profile ring, which
 *   queues it and copies what it keeps later; nothing is decoded or copied here, items are
 *   immutable and their bytes are never mutated).
 * - `passed(componentId, event, item)`: live debugging, called only while someone watches
 *   (`watching` is a plain boolean the pipeline checks before building anything).
 *
 * The `Service` owns one {@linkcode Taps} (`service.taps`), hands it to every receiver port
 * and to whoever watches (the collector gives it to the console).
 *
 * @module
 */

import type { Item } from "../items.ts";

/** What happened to an item at a component, as live debugging shows it. */
export type TapEvent = "received" | "output" | "dropped" | "enqueued";

/** A live-debugging listener. */
export type TapListener = (event: TapEvent, item: Item) => void;

/** Receives every accepted request; must be cheap (it runs on the request path). */
export type AcceptedListener = (receiverId: string, items: readonly Item[]) => void;

/** See the module doc. */
export class Taps {
  #accepted: AcceptedListener | undefined;
  readonly #listeners = new Map<string, Set<TapListener>>();
  /** True while any component has a live-debugging listener. */
  watching = false;

  /** Hands every accepted request to `listener` (replacing any other); returns a function that stops. */
  onAccepted(listener: AcceptedListener): () => void {
    this.#accepted = listener;
    return () => {
      if (this.#accepted === listener) this.#accepted = undefined;
    };
  }

  /** Called by the pipeline for every accepted request. */
  accepted(receiverId: string, items: readonly Item[]): void {
    const sink = this.#accepted;
    if (sink === undefined) return;
    try {
      sink(receiverId, items);
    } catch {
      // The console must never fail a request.
    }
  }

  /** Whether `componentId` has a live-debugging listener. */
  watched(componentId: string): boolean {
    return this.watching && this.#listeners.has(componentId);
  }

  /** Called by the pipeline (only when `watching`). */
  passed(componentId: string, event: TapEvent, item: Item): void {
    const listeners = this.#listeners.get(componentId);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(event, item);
      } catch {
        // A broken listener must never fail a request.
      }
    }
  }

  /** Starts watching a component; returns a function that stops. */
  watch(componentId: string, listener: TapListener): () => void {
    let set = this.#listeners.get(componentId);
    if (set === undefined) this.#listeners.set(componentId, set = new Set());
    set.add(listener);
    this.watching = true;
    return () => {
      const current = this.#listeners.get(componentId);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(componentId);
      this.watching = this.#listeners.size > 0;
    };
  }
}
