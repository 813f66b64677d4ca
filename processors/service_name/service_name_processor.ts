/**
 * The `service_name` processor: gives items that lack `service_name` one, in this order:
 *
 * 1. the configured `source_labels`, first non-empty value;
 * 2. with `infer_from_metadata` (default), pyroscope.scrape's inference from discovery
 *    metadata, `inferServiceName` of `core/pyroscope_labels/` (the one both use);
 * 3. `fallback` (default `unspecified`), counted in `profcol_service_name_fallbacks_total`.
 *
 * Items that already carry `service_name` pass unchanged.
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import { type Item, itemProfiles, withLabels } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import { inferServiceName } from "../../core/pyroscope_labels/mod.ts";
import type { Counter } from "../../core/telemetry/metrics.ts";
import type { ServiceNameConfig } from "./config.ts";

/** Sets `service_name` where it is missing; see the module doc. */
export class ServiceNameProcessor implements Processor {
  readonly #config: ServiceNameConfig;
  readonly #labels: { component_id: string };
  readonly #fallbacks: Counter;
  readonly #inferred: Counter;

  constructor(settings: ComponentSettings, config: ServiceNameConfig) {
    this.#config = config;
    this.#labels = { component_id: settings.id };
    this.#fallbacks = settings.metrics.counter(
      "profcol_service_name_fallbacks_total",
      "Profiles that got the fallback service_name because nothing else named the service.",
      ["component_id"],
    );
    this.#inferred = settings.metrics.counter(
      "profcol_service_name_inferred_total",
      "Profiles that got service_name from source_labels or discovery metadata.",
      ["component_id"],
    );
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** The service name for labels that lack one ("" when none, not even a fallback). */
  serviceNameFor(labels: LabelSet): { name: string; fallback: boolean } {
    for (const source of this.#config.source_labels) {
      const value = labels.get(source);
      if (value) return { name: value, fallback: false };
    }
    if (this.#config.infer_from_metadata) {
      const inferred = inferServiceName(labels);
      if (inferred) return { name: inferred, fallback: false };
    }
    return { name: this.#config.fallback, fallback: true };
  }

  process(item: Item): Item {
    if (item.labels.has("service_name")) return item;
    const { name, fallback } = this.serviceNameFor(item.labels);
    if (name === "") return item;
    (fallback ? this.#fallbacks : this.#inferred).inc(this.#labels, itemProfiles(item));
    return withLabels(item, item.labels.with("service_name", name));
  }
}
