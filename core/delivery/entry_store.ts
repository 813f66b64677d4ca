/**
 * The entries of one delivery queue, oldest first, in memory or in an on-disk spool
 * (`spool.ts`). An entry is made when a reservation is committed, and its payload is then
 * copied to bytes of its own ({@linkcode ownQueuedItem}): a small queued profile must not keep
 * the whole request buffer it arrived in alive while `queue.max_bytes` counts only the profile.
 *
 * With a spool every entry has a file; its payload is in memory only while the memory budget
 * (`queue.max_bytes`) allows, and is read back ({@linkcode EntryStore.load}) when it is sent.
 * A damaged file is moved aside (`*.corrupt`) by the caller through
 * {@linkcode EntryStore.quarantine}.
 *
 * The store counts profiles and the payload bytes in memory; items and bytes held are counted
 * by the queue's `CapacityLedger`. Entries stay counted from {@linkcode EntryStore.push} until
 * {@linkcode EntryStore.finish} (sent or dropped) or {@linkcode EntryStore.unaccount} (pushed
 * again, or handed to another queue), also while in flight.
 *
 * @module
 */

import { UnavailableError } from "../admission.ts";
import { ownBytes } from "../bytes.ts";
import type { Item } from "../items.ts";
import { rootCause } from "../root_cause.ts";
import type { QueuedItem } from "./item_codec.ts";
import type { Spool, SpoolRef } from "./spool.ts";

/** One queued item; `queued` is unset while the payload lives only in the spool. */
export interface Entry {
  queued: QueuedItem | undefined;
  loading: Promise<void> | undefined;
  readonly ref: SpoolRef | undefined;
  readonly bytes: number;
  readonly profiles: number;
  /** Set once the entry is counted sent or dropped. */
  done?: boolean;
}

/** What a store tells its queue (metrics, waking a sender). */
export interface EntryStoreEvents {
  /** Profiles entered (positive) or left (negative) the store. */
  counted(profiles: number): void;
  /** An entry was pushed: a sender may have work. */
  arrived(): void;
}

/** `queued` with every payload as bytes of its own (see the module doc). */
export function ownQueuedItem(queued: QueuedItem): QueuedItem {
  return { item: ownItem(queued.item), meta: queued.meta };
}

function ownItem(item: Item): Item {
  if (item.kind === "ingest") {
    const body = ownBytes(item.body);
    return body === item.body ? item : { ...item, body };
  }
  let changed = false;
  const samples = item.samples.map((sample) => {
    const rawProfile = ownBytes(sample.rawProfile);
    if (rawProfile === sample.rawProfile) return sample;
    changed = true;
    return { ...sample, rawProfile };
  });
  return changed ? { ...item, samples } : item;
}

/** See the module doc. */
export class EntryStore {
  readonly spool: Spool | undefined;
  readonly #maxMemoryBytes: number;
  readonly #events: EntryStoreEvents;
  #entries: Entry[] = [];
  #head = 0;
  #profiles = 0;
  #memoryBytes = 0;

  constructor(spool: Spool | undefined, maxMemoryBytes: number, events: EntryStoreEvents) {
    this.spool = spool;
    this.#maxMemoryBytes = maxMemoryBytes;
    this.#events = events;
  }

  /** Profiles held (queued and in flight). */
  get profiles(): number {
    return this.#profiles;
  }

  /** Payload bytes held in memory. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** Entries waiting (not in flight). */
  get waiting(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * The entry for a committed item: its payload owned, kept in memory unless it is spooled
   * (`ref`) and memory is over budget.
   */
  entryFor(queued: QueuedItem, bytes: number, profiles: number, ref?: SpoolRef): Entry {
    const inMemory = ref === undefined || this.#memoryBytes + bytes <= this.#maxMemoryBytes;
    return {
      queued: inMemory ? ownQueuedItem(queued) : undefined,
      loading: undefined,
      ref,
      bytes,
      profiles,
    };
  }

  /** Queues `entry` at the tail, or at the head (`front`: put back, handed over). */
  push(entry: Entry, front = false): void {
    if (front && this.#head > 0) {
      this.#entries[--this.#head] = entry;
    } else if (front) {
      this.#entries.unshift(entry);
    } else {
      this.#entries.push(entry);
    }
    this.#profiles += entry.profiles;
    if (entry.queued) this.#memoryBytes += entry.bytes;
    this.#events.counted(entry.profiles);
    this.#events.arrived();
  }

  /** Takes the head entry out (it stays counted until finished). */
  shift(): Entry | undefined {
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

  /** Takes every waiting entry out, oldest first. */
  drain(): Entry[] {
    const out: Entry[] = [];
    for (let entry = this.shift(); entry; entry = this.shift()) out.push(entry);
    return out;
  }

  /** The waiting entry `offset` places after the head. */
  peek(offset = 0): Entry | undefined {
    return this.#entries[this.#head + offset];
  }

  /** Undoes what {@linkcode push} counted, before the entry is pushed again or handed on. */
  unaccount(entry: Entry): void {
    this.#profiles -= entry.profiles;
    if (entry.queued) this.#memoryBytes -= entry.bytes;
    this.#events.counted(-entry.profiles);
  }

  /** Returns a batch to the head, in order. */
  putBack(batch: readonly Entry[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      this.unaccount(batch[i]!);
      this.push(batch[i]!, true);
    }
  }

  /** Moves an entry to the tail (a spooled batch that used its attempts). */
  requeueTail(entry: Entry): void {
    this.unaccount(entry);
    this.push(entry);
  }

  /**
   * Ends an entry (sent or dropped): uncounts it, frees its payload and returns the removal of
   * its spool file, if any.
   */
  finish(entry: Entry): Promise<void> | undefined {
    this.unaccount(entry);
    entry.queued = undefined;
    entry.done = true;
    return entry.ref && this.spool ? this.spool.remove(entry.ref) : undefined;
  }

  /** Forgets every entry (a spooled queue stopping: its files stay for the next owner). */
  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#events.counted(-this.#profiles);
    this.#profiles = 0;
    this.#memoryBytes = 0;
  }

  /**
   * Writes every item to the spool before the caller is acknowledged, or none: on any failure
   * the files written are removed and {@linkcode UnavailableError} (503, retry later) is
   * thrown, naming the root cause.
   */
  async spoolAll(
    items: readonly { readonly queued: QueuedItem; readonly profiles: number }[],
    owner: string,
  ): Promise<SpoolRef[]> {
    const spool = this.spool!;
    const written = await Promise.allSettled(
      items.map((one) => spool.write(one.queued, one.profiles)),
    );
    const refs: SpoolRef[] = [];
    let failure: unknown;
    for (const result of written) {
      if (result.status === "fulfilled") refs.push(result.value);
      else failure ??= result.reason;
    }
    if (failure === undefined) return refs;
    await this.unspool(refs);
    // ENOSPC has no error class of its own in Deno: its code tells a full disk apart.
    const reason = (failure as { code?: unknown })?.code === "ENOSPC" ||
        /no space left/i.test(String(failure))
      ? "spool_no_space"
      : "spool_write_error";
    throw new UnavailableError(
      `cannot write to the spool of ${owner}: ${rootCause(failure)}; retry later`,
      reason,
    );
  }

  /** Removes the files of items that were spooled but never queued (a released request). */
  async unspool(refs: readonly (SpoolRef | undefined)[]): Promise<void> {
    const spool = this.spool;
    if (!spool) return;
    await Promise.all(refs.map((ref) => ref && spool.remove(ref).catch(() => {})));
  }

  /**
   * Reads a spooled payload into memory (once, however many callers wait). Rejects when the
   * file is damaged or gone.
   */
  async load(entry: Entry): Promise<void> {
    if (entry.queued) return;
    entry.loading ??= this.spool!.read(entry.ref!).then((queued) => {
      if (entry.done) return;
      entry.queued = queued;
      this.#memoryBytes += entry.bytes;
    });
    await entry.loading;
  }

  /** Starts reading the next spooled payloads while memory allows, so batches can form. */
  prefetch(batchMaxItems: number, batchMaxBytes: number): void {
    if (!this.spool) return;
    let budget = batchMaxBytes;
    for (let i = 0; i < batchMaxItems; i++) {
      const next = this.peek(i);
      if (!next || budget <= 0) return;
      budget -= next.bytes;
      if (next.queued || next.loading) continue;
      if (this.#memoryBytes + next.bytes > this.#maxMemoryBytes) return;
      // A damaged file is dealt with when its entry reaches the head and is loaded again.
      this.load(next).catch(() => {});
    }
  }
}
