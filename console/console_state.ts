/**
 * What the console keeps for as long as the collector runs, across admin servers (a reload
 * that moves the admin address builds a new one): the profile ring, fed from the service's
 * taps, and the last errors of each component.
 *
 * The collector wires it: `new ConsoleState(service.taps, profilesMemory)`, handed to every
 * admin server it starts. Recording is off the request path: the tap only queues the
 * accepted request (at most {@linkcode MAX_PENDING_REQUESTS}; beyond that a request is not
 * recorded, the ring is a sample), and one timer turn later the batch is recorded, copying
 * what the ring keeps to bytes of its own. Reading the ring records what is pending first.
 *
 * @example
 * ```ts
 * import { Taps } from "../core/pipeline/taps.ts";
 * import { ConsoleState } from "./console_state.ts";
 * const taps = new Taps();
 * const state = new ConsoleState(taps, () => 1024 * 1024);
 * state.flush(); // records what taps.accepted queued; pages call it before reading
 * state.close();
 * ```
 * @module
 */

import type { Item } from "../core/items.ts";
import type { Taps } from "../core/pipeline/taps.ts";
import type { LoggedError } from "./pages.ts";
import { ProfileStore } from "./profile_store.ts";

/** `service.telemetry.console.profiles_memory` when no config is running yet. */
export const DEFAULT_PROFILES_MEMORY = 16 * 1024 * 1024;

/**
 * Accepted requests queued for the ring at most: the requests of one event-loop turn, already
 * bounded by the receivers' in-flight limits (64 each by default), so the queue never holds
 * more request buffers than were in flight a moment before.
 */
export const MAX_PENDING_REQUESTS = 64;

interface Pending {
  readonly receiverId: string;
  readonly items: readonly Item[];
  readonly at: number;
}

/** See the module doc. */
export class ConsoleState {
  readonly #store = new ProfileStore(DEFAULT_PROFILES_MEMORY);
  /** Last warnings and errors by component id, newest first (filled by each console). */
  readonly errors = new Map<string, LoggedError[]>();
  readonly #profilesMemory: () => number;
  #pending: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #skipped = 0;
  readonly #stop: () => void;

  /**
   * Listens to `taps` for accepted requests; `profilesMemory` is the ring's cap as configured
   * now (`service.telemetry.console.profiles_memory`; 0 keeps nothing).
   */
  constructor(taps: Taps, profilesMemory: () => number) {
    this.#profilesMemory = profilesMemory;
    this.#stop = taps.onAccepted((receiverId, items) => this.#queue(receiverId, items));
  }

  /** The ring, with every pending request recorded. */
  get store(): ProfileStore {
    this.flush();
    return this.#store;
  }

  /** Accepted requests waiting to be recorded. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Accepted requests not recorded because {@linkcode MAX_PENDING_REQUESTS} were waiting. */
  get skipped(): number {
    return this.#skipped;
  }

  #queue(receiverId: string, items: readonly Item[]): void {
    if (this.#profilesMemory() <= 0) {
      if (this.#store.capacityBytes > 0) this.#store.resize(0);
      return;
    }
    if (this.#pending.length >= MAX_PENDING_REQUESTS) {
      this.#skipped++;
      return;
    }
    this.#pending.push({ receiverId, items, at: Date.now() });
    this.#timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Records the pending requests now (copying what the ring keeps). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const wanted = this.#profilesMemory();
    if (wanted !== this.#store.capacityBytes) this.#store.resize(wanted);
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    for (const { receiverId, items, at } of batch) {
      try {
        this.#store.record(receiverId, items, at);
      } catch {
        // The console must never break the collector: a request it cannot record is skipped.
        this.#skipped++;
      }
    }
  }

  /** Stops listening and records what is pending (the ring stays readable). */
  close(): void {
    this.#stop();
    this.flush();
  }
}
