/**
 * The books of one delivery queue: how entries end (sent, or dropped under a reason with a
 * warn line that repeats at most once a minute), the gauges, and the drop policies of the
 * spool (its size cap drops the oldest, a damaged file is quarantined). Every count goes
 * through here, so the ledger (items, bytes), the store (profiles, payloads, files) and the
 * metrics never disagree.
 *
 * @module
 */

import type { Logger } from "../telemetry/logger.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";
import { rootCause } from "../root_cause.ts";
import type { CapacityLedger } from "./capacity_ledger.ts";
import type { DeliveryMetrics } from "./delivery_metrics.ts";
import type { EndpointHealth } from "./endpoint_health.ts";
import type { Entry, EntryStore } from "./entry_store.ts";
import type { SpoolRef } from "./spool.ts";

/** What the books are kept over. */
export interface AccountingParts {
  readonly endpoint: string;
  readonly labels: { readonly component_id: string; readonly endpoint: string };
  readonly metrics: DeliveryMetrics;
  readonly logger: Logger;
  readonly ledger: CapacityLedger;
  readonly health: EndpointHealth;
  /** The queue's store (replaced once when the spool opens). */
  store(): EntryStore;
  /** Whether a successor shares this queue's series (then the gauges are left to it). */
  handedOver(): boolean;
  readonly repeatIntervalMs?: number;
  readonly now?: () => number;
}

/** The warn line of each drop reason (others: "dropped profiles"). */
const DROP_MESSAGES: Readonly<Record<string, string>> = {
  retries_exhausted: "gave up on profiles after max_backoff_retries attempts",
  spool_full: "spool full; dropped the oldest profiles",
  spool_corrupt: "dropped profiles from a damaged spool file",
};

/** See the module doc. */
export class DeliveryAccounting {
  readonly #p: AccountingParts;
  readonly #repeats: LogRepeater;
  readonly #removals = new Set<Promise<void>>();

  constructor(parts: AccountingParts) {
    this.#p = parts;
    this.#repeats = new LogRepeater(parts.logger, {
      intervalMs: parts.repeatIntervalMs,
      now: parts.now,
    });
  }

  /** Resolves when the spool files of every finished entry are removed. */
  async settled(): Promise<void> {
    await Promise.all(this.#removals);
  }

  /**
   * Ends entries: counts them sent or dropped and frees room, memory and spool files. A drop is
   * warned about (once, then at most once a minute with counts) unless `warn` is false because
   * the caller writes its own line.
   */
  count(
    entries: readonly Entry[],
    how: "sent" | "dropped",
    reason = "",
    cause?: string,
    warn = true,
  ): void {
    const { ledger, metrics: m, labels } = this.#p;
    const store = this.#p.store();
    let profiles = 0;
    let bytes = 0;
    for (const entry of entries) {
      profiles += entry.profiles;
      bytes += entry.bytes;
      ledger.free({ items: 1, bytes: entry.bytes });
      const removal = store.finish(entry)?.catch((error) => {
        this.#p.logger.warn("could not remove a spool file", { err: error });
      }).finally(() => {
        this.#removals.delete(removal!);
        this.gauges();
      });
      if (removal) this.#removals.add(removal);
    }
    if (how === "sent") {
      m.sentProfiles.inc(labels, profiles);
      m.sentBytes.inc(labels, bytes);
    } else {
      const dropped = { ...labels, reason };
      m.droppedProfiles.inc(dropped, profiles);
      m.droppedBytes.inc(dropped, bytes);
      if (warn) {
        this.#repeats.warn(
          `dropped:${reason}`,
          DROP_MESSAGES[reason] ?? "dropped profiles",
          { endpoint: this.#p.endpoint, reason, cause: cause ?? this.#p.health.lastError ?? "" },
          profiles,
          "profiles",
        );
      }
    }
    this.gauges();
  }

  /** Drops `entries` under `reason` with one warn line naming how many and why. */
  giveUp(entries: readonly Entry[], reason: string, why: string): void {
    let profiles = 0;
    let bytes = 0;
    for (const entry of entries) {
      profiles += entry.profiles;
      bytes += entry.bytes;
    }
    this.count(entries, "dropped", reason, undefined, false);
    this.#p.logger.warn(
      `gave up ${profiles} profiles (${bytes} bytes) queued for ${this.#p.endpoint}`,
      {
        endpoint: this.#p.endpoint,
        reason,
        profiles,
        bytes,
        why,
        last_error: this.#p.health.lastError ?? "",
      },
    );
  }

  /**
   * Queues the files a previous owner left in the spool directory, then applies the spool's
   * size cap to them.
   */
  adopt(refs: readonly SpoolRef[], cap: number): void {
    if (refs.length === 0) return;
    this.#p.logger.info("recovered spooled items", {
      endpoint: this.#p.endpoint,
      items: refs.length,
    });
    const store = this.#p.store();
    for (const ref of refs) {
      this.#p.ledger.add({ items: 1, bytes: ref.bytes });
      const { bytes, profiles } = ref;
      store.push({ queued: undefined, loading: undefined, ref, bytes, profiles });
    }
    this.enforceSpoolCap(cap);
  }

  /** Uncounts entries that moved to a successor queue. */
  moved(entries: readonly Entry[]): void {
    const store = this.#p.store();
    for (const entry of entries) {
      this.#p.ledger.free({ items: 1, bytes: entry.bytes });
      store.unaccount(entry);
    }
    this.gauges();
  }

  /**
   * A spool request that could not be written: warned once with its root cause (then at most
   * once a minute with counts); {@linkcode spoolWritten} says when it works again.
   */
  spoolRefused(reason: string, message: string, profiles: number): void {
    this.#repeats.warn(
      "spool_unavailable",
      "cannot write to the spool; refusing requests (503)",
      { endpoint: this.#p.endpoint, reason, cause: message },
      profiles,
      "profiles",
    );
  }

  /** A spool write succeeded: ends a refusal streak with one info line. */
  spoolWritten(): void {
    const streak = this.#repeats.reset("spool_unavailable");
    if (streak) {
      this.#p.logger.info("the spool is writable again", {
        endpoint: this.#p.endpoint,
        refused_profiles: streak.total,
      });
    }
  }

  /** Drops the oldest waiting entries while the spool is over `cap` (reason `spool_full`). */
  enforceSpoolCap(cap: number): void {
    const store = this.#p.store();
    while (store.spool!.bytes > cap && store.waiting > 1) {
      const oldest = store.shift()!;
      this.count([oldest], "dropped", "spool_full", `queue.spool.max_bytes (${cap}) reached`);
    }
    this.gauges();
  }

  /**
   * A spooled payload that cannot be read: moved aside (not deleted) so it can be inspected,
   * counted as dropped (reason `spool_corrupt`) and skipped, never retried.
   */
  async quarantine(entry: Entry, error: unknown): Promise<void> {
    const moved = await this.#p.store().spool!.quarantine(entry.ref!).catch((cause) => {
      this.#p.logger.warn("could not move a damaged spool file aside", {
        file: entry.ref?.name,
        err: cause,
      });
      return undefined;
    });
    if (entry.done) return;
    this.count(
      [entry],
      "dropped",
      "spool_corrupt",
      `${entry.ref?.name}: ${rootCause(error)}${moved ? `; moved to ${moved}` : ""}`,
    );
  }

  /** Publishes the queue and spool gauges. */
  gauges(): void {
    // A queue that handed over shares its series with its successor: leave them to it.
    if (this.#p.handedOver()) return;
    const { metrics, labels } = this.#p;
    metrics.queueBytes.set(labels, this.#p.ledger.bytes);
    const spool = this.#p.store().spool;
    if (spool) metrics.spoolBytes.set(labels, spool.bytes);
  }

  /**
   * Removes this endpoint's series from every delivery metric, so `/metrics` does not keep
   * an endpoint (or component) a reload removed.
   */
  forgetMetrics(): void {
    const m = this.#p.metrics;
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
    ) metric.removeMatching(this.#p.labels);
  }
}
