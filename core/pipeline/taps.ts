/**
 * Observation points of the pipeline for the admin console, off the hot path:
 *
 * - `accepted(receiverId, items)`: a request every target queue took, as the receiver handed
 *   it in (the console keeps the last raw profiles of each series; nothing is decoded or
 *   copied here, items are immutable and their bytes are never mutated).
 * - `passed(componentId, event, item)`: live debugging, called only while someone watches
 *   (`watching` is a plain boolean the pipeline checks before building anything).
 *
 * One {@linkcode Taps} per metrics registry (the same pairing as the pipeline's counters), so
 * the admin server finds the taps of the service it serves without new wiring.
 *
 * @module
 */

import type { Item } from "../items.ts";
import type { MetricsRegistry } from "../telemetry/metrics.ts";

/** What happened to an item at a component, as live debugging shows it. */
export type TapEvent = "received" | "output" | "dropped" | "enqueued";

/** A live-debugging listener. */
export type TapListener = (event: TapEvent, item: Item) => void;

/** See the module doc. */
export class Taps {
  /** Receives accepted requests (the console's profile ring), if set. */
  onAccepted: ((receiverId: string, items: readonly Item[]) => void) | undefined;
  readonly #listeners = new Map<string, Set<TapListener>>();
  /** True while any component has a live-debugging listener. */
  watching = false;

  /** Called by the pipeline for every accepted request. */
  accepted(receiverId: string, items: readonly Item[]): void {
    const sink = this.onAccepted;
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

const byRegistry = new WeakMap<MetricsRegistry, Taps>();

/** The taps paired with `registry` (created on first use). */
export function tapsFor(registry: MetricsRegistry): Taps {
  let taps = byRegistry.get(registry);
  if (taps === undefined) byRegistry.set(registry, taps = new Taps());
  return taps;
}
