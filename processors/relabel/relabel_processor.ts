/**
 * The `relabel` processor (Alloy `pyroscope.relabel`): runs relabel rules over an item's
 * external labels (push labels, or the labels parsed from `/ingest`'s `name`). Bodies and
 * pprof sample labels are never touched. Results are cached per input label set.
 *
 * Deliberate differences from Alloy: a set that relabels to nothing is always dropped (Alloy
 * forwards it once), and an item that arrives with no labels is dropped too (nothing could
 * deliver it: the write path requires `service_name`).
 *
 * Its metrics are Alloy's, under Alloy's names and counted at Alloy's events: per item (one
 * series of a Push, or one `/ingest` upload — what Alloy counts per `Append`):
 * `pyroscope_relabel_profiles_processed`, `pyroscope_relabel_profiles_written` (forwarded),
 * `pyroscope_relabel_profiles_dropped` (with a `reason` label Alloy does not have: `rule` or
 * `empty_labels`), `pyroscope_relabel_cache_hits`, `pyroscope_relabel_cache_misses` (counters,
 * no `_total` suffix, as Alloy names them) and `pyroscope_relabel_cache_size` (gauge), each with
 * `component_id`. profcol counts nothing twice: there is no `profcol_relabel_*` family.
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import { type Item, withLabels } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import { relabel, type RelabelRule } from "../../core/relabel/mod.ts";
import type { Counter, Gauge } from "../../core/telemetry/metrics.ts";
import type { RelabelProcessorConfig } from "./config.ts";
import { LruCache } from "./lru.ts";

/** Cached "dropped" result (null cannot be told apart from a miss in the cache). */
const DROPPED = 0 as const;

/** Runs relabel rules over items; see the module doc. */
export class RelabelProcessor implements Processor {
  readonly #rules: readonly RelabelRule[];
  readonly #cache: LruCache<string, LabelSet | typeof DROPPED>;
  readonly #labels: { component_id: string };
  readonly #droppedByRule: { component_id: string; reason: string };
  readonly #droppedEmpty: { component_id: string; reason: string };
  readonly #processed: Counter;
  readonly #written: Counter;
  readonly #dropped: Counter;
  readonly #hits: Counter;
  readonly #misses: Counter;
  readonly #size: Gauge;

  constructor(settings: ComponentSettings, config: RelabelProcessorConfig) {
    this.#rules = config.rule;
    this.#cache = new LruCache(config.max_cache_size);
    this.#labels = { component_id: settings.id };
    this.#droppedByRule = { component_id: settings.id, reason: "rule" };
    this.#droppedEmpty = { component_id: settings.id, reason: "empty_labels" };
    const m = settings.metrics;
    const id = ["component_id"];
    this.#processed = m.counter(
      "pyroscope_relabel_profiles_processed",
      "Total number of profiles processed",
      id,
    );
    this.#written = m.counter(
      "pyroscope_relabel_profiles_written",
      "Total number of profiles forwarded",
      id,
    );
    this.#dropped = m.counter(
      "pyroscope_relabel_profiles_dropped",
      "Total number of profiles dropped by relabeling rules (reason: rule, a keep/drop rule; " +
        "empty_labels, no label left)",
      ["component_id", "reason"],
    );
    this.#hits = m.counter("pyroscope_relabel_cache_hits", "Total number of cache hits", id);
    this.#misses = m.counter("pyroscope_relabel_cache_misses", "Total number of cache misses", id);
    this.#size = m.gauge("pyroscope_relabel_cache_size", "Total size of relabel cache", id);
    this.#size.set(this.#labels, 0);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.#cache.clear();
    this.#size.set(this.#labels, 0);
    return Promise.resolve();
  }

  /** The relabeled labels of `labels`, or null when dropped; cached. */
  relabelLabels(labels: LabelSet): LabelSet | null {
    const key = labels.key();
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#hits.inc(this.#labels);
      return cached === DROPPED ? null : cached;
    }
    this.#misses.inc(this.#labels);
    const result = relabel(labels, this.#rules);
    this.#cache.set(key, result ?? DROPPED);
    this.#size.set(this.#labels, this.#cache.size);
    return result;
  }

  process(item: Item): Item | null {
    this.#processed.inc(this.#labels);
    if (item.labels.size === 0) {
      this.#dropped.inc(this.#droppedEmpty);
      return null;
    }
    const result = this.relabelLabels(item.labels);
    if (result === null) {
      this.#dropped.inc(this.#droppedByRule);
      return null;
    }
    this.#written.inc(this.#labels);
    return withLabels(item, result);
  }
}
