/**
 * The `enrich` processor (Alloy's `pyroscope.enrich`): discovers targets, indexes them by their
 * `target_match_label` value, and copies labels of the matching target onto each profile whose
 * `profiles_match_label` (default: the same name) has that value. Profiles without a match pass
 * unchanged.
 *
 * Where Alloy's docs are silent, profcol decides: a copied label overrides the profile's own
 * value; empty target values are not copied; with `labels_to_copy` empty every target label
 * except internal ones (`__`-prefixed: `__address__`, `__meta_*`, …) is copied, so a target
 * never rewrites `__name__` (name internal labels in `labels_to_copy` to copy them); when two
 * targets share a match value, the first discovered wins. Until discovery has reported once,
 * profiles pass unchanged.
 *
 * Metrics (keyed by `component_id`): `profcol_enrich_profiles_enriched_total`,
 * `profcol_enrich_profiles_unmatched_total`, and the gauge `profcol_enrich_targets`.
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import type { DiscoveredTarget, DiscoveryHandle, DiscoveryProvider } from "../../core/discovery.ts";
import { type Item, itemProfiles, withLabels } from "../../core/items.ts";
import { isInternalLabel, LabelSet } from "../../core/labels.ts";
import type { Counter, Gauge } from "../../core/telemetry/metrics.ts";
import type { EnrichConfig } from "./config.ts";

/** Copies labels of discovered targets onto matching profiles; see the module doc. */
export class EnrichProcessor implements Processor {
  readonly #settings: ComponentSettings;
  readonly #config: EnrichConfig;
  readonly #discovery: DiscoveryProvider;
  readonly #profileLabel: string;
  readonly #labels: { component_id: string };
  readonly #enriched: Counter;
  readonly #unmatched: Counter;
  readonly #targets: Gauge;
  /** Match value → the labels to copy (already filtered). */
  #index = new Map<string, LabelSet>();
  #handle: DiscoveryHandle | undefined;

  constructor(settings: ComponentSettings, config: EnrichConfig, discovery: DiscoveryProvider) {
    this.#settings = settings;
    this.#config = config;
    this.#discovery = discovery;
    this.#profileLabel = config.profiles_match_label ?? config.target_match_label;
    this.#labels = { component_id: settings.id };
    const m = settings.metrics;
    this.#enriched = m.counter(
      "profcol_enrich_profiles_enriched_total",
      "Profiles that got labels from a matching discovered target.",
      ["component_id"],
    );
    this.#unmatched = m.counter(
      "profcol_enrich_profiles_unmatched_total",
      "Profiles that passed unchanged: no discovered target matched them.",
      ["component_id"],
    );
    this.#targets = m.gauge(
      "profcol_enrich_targets",
      "Discovered targets with a match value, indexed for enrichment.",
      ["component_id"],
    );
  }

  async start(): Promise<void> {
    this.#handle = await this.#discovery.start(
      this.#config as unknown as Readonly<Record<string, unknown>>,
      {
        logger: this.#settings.logger,
        userAgent: `profcol/${this.#settings.version}`,
      },
      (targets) => this.setTargets(targets),
    );
  }

  async shutdown(): Promise<void> {
    await this.#handle?.stop();
    this.#handle = undefined;
  }

  /** Rebuilds the index from the complete current target list. */
  setTargets(targets: readonly DiscoveredTarget[]): void {
    const index = new Map<string, LabelSet>();
    const wanted = this.#config.labels_to_copy;
    for (const target of targets) {
      const key = target[this.#config.target_match_label];
      if (!key || index.has(key)) continue;
      const copied: Record<string, string> = {};
      if (wanted.length > 0) {
        for (const name of wanted) if (target[name]) copied[name] = target[name];
      } else {
        for (const [name, value] of Object.entries(target)) {
          if (value && !isInternalLabel(name)) copied[name] = value;
        }
      }
      index.set(key, LabelSet.from(copied));
    }
    this.#index = index;
    this.#targets.set(this.#labels, index.size);
  }

  process(item: Item): Item {
    const value = item.labels.get(this.#profileLabel);
    const copy = value ? this.#index.get(value) : undefined;
    if (!copy) {
      this.#unmatched.inc(this.#labels, itemProfiles(item));
      return item;
    }
    this.#enriched.inc(this.#labels, itemProfiles(item));
    return withLabels(item, item.labels.merge(copy));
  }
}
