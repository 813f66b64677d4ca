/**
 * The capacity of one queue in items and bytes, with the admission API of `core/admission.ts`:
 * {@linkcode CapacityLedger.check} looks, {@linkcode CapacityLedger.reserve} holds room until
 * the reservation is committed (the room becomes held) or released (given back), and
 * {@linkcode CapacityLedger.free} gives held room back when an entry leaves the queue. Every
 * exporter that queues (the delivery queue of `pyroscope.write`, the write queue of `file`)
 * keeps its counts here, so "held plus reserved never passes the limits" is written once.
 *
 * A demand larger than a limit can never fit: {@linkcode TooLargeError} (413), whatever the
 * queue holds. A demand that does not fit now: {@linkcode BackpressureError} (429), unless the
 * ledger was built with `refuseWhenFull: false` (a spool that drops its oldest instead).
 *
 * @example
 * ```ts
 * import { CapacityLedger } from "./capacity_ledger.ts";
 * const ledger = new CapacityLedger({
 *   owner: "e1",
 *   maxItems: 2,
 *   maxBytes: 100,
 *   itemsSetting: "queue.max_items",
 *   bytesSetting: "queue.max_bytes",
 * });
 * const held = ledger.reserve({ items: 2, bytes: 10 }, () => {});
 * held.commit();
 * ledger.items; // 2
 * ```
 * @module
 */

import {
  BackpressureError,
  type Demand,
  holdOnce,
  type Reservation,
  TooLargeError,
} from "../admission.ts";

/** Limits of a {@linkcode CapacityLedger} and the names used in its refusals. */
export interface CapacityLimits {
  /** Who refuses, as shown in messages (an endpoint, a component id). */
  readonly owner: string;
  readonly maxItems: number;
  readonly maxBytes: number;
  /** The setting behind `maxItems`, quoted in refusals (e.g. `queue.max_items`). */
  readonly itemsSetting: string;
  readonly bytesSetting: string;
  /** Whether a full ledger refuses with backpressure; default true. */
  readonly refuseWhenFull?: boolean;
}

/** See the module doc. */
export class CapacityLedger {
  readonly #limits: CapacityLimits;
  #items = 0;
  #bytes = 0;
  #reservedItems = 0;
  #reservedBytes = 0;

  constructor(limits: CapacityLimits) {
    this.#limits = limits;
  }

  /** Items held (committed and not yet freed). */
  get items(): number {
    return this.#items;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Throws the refusal `demand` would get now (see the module doc). */
  check(demand: Demand): void {
    const { owner, maxItems, maxBytes, itemsSetting, bytesSetting } = this.#limits;
    if (demand.bytes > maxBytes) {
      throw new TooLargeError(
        `${demand.bytes} bytes of profiles are more than ${bytesSetting} (${maxBytes}) of ${owner}`,
      );
    }
    if (demand.items > maxItems) {
      throw new TooLargeError(
        `${demand.items} items are more than ${itemsSetting} (${maxItems}) of ${owner}`,
      );
    }
    if (this.#limits.refuseWhenFull === false) return;
    if (
      this.#items + this.#reservedItems + demand.items > maxItems ||
      this.#bytes + this.#reservedBytes + demand.bytes > maxBytes
    ) {
      throw new BackpressureError(
        `the queue of ${owner} is full (${this.#items} items, ${this.#bytes} bytes held); ` +
          "retry later",
      );
    }
  }

  /**
   * Holds room for `demand` or throws the refusal. Committing makes the room held and then
   * runs `onCommit`; releasing gives it back and runs `onRelease`. Settles once.
   */
  reserve(
    demand: Demand,
    onCommit: () => void,
    onRelease: () => void | Promise<void> = () => {},
  ): Reservation {
    this.check(demand);
    this.#reservedItems += demand.items;
    this.#reservedBytes += demand.bytes;
    return holdOnce(
      () => {
        this.#reservedItems -= demand.items;
        this.#reservedBytes -= demand.bytes;
      },
      () => {
        this.add(demand);
        onCommit();
      },
      onRelease,
    );
  }

  /** Counts room as held without asking (entries recovered from disk or handed over). */
  add(demand: Demand): void {
    this.#items += demand.items;
    this.#bytes += demand.bytes;
  }

  /** Gives held room back: an entry was written, sent, dropped or handed on. */
  free(demand: Demand): void {
    this.#items -= demand.items;
    this.#bytes -= demand.bytes;
  }
}
