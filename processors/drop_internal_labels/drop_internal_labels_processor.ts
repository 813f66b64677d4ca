/**
 * The `drop_internal_labels` processor: removes labels starting with `__` (discovery metadata,
 * `__address__`, `__tmp_*`, …) except the `keep` list, so they never reach the wire. An item
 * left with no labels at all is dropped (nothing could deliver it).
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import { type Item, itemProfiles, withLabels } from "../../core/items.ts";
import { isInternalLabel } from "../../core/labels.ts";
import { SESSION_ID_LABEL } from "../../core/pyroscope_labels/mod.ts";
import type { Counter } from "../../core/telemetry/metrics.ts";
import type { DropInternalLabelsConfig } from "./config.ts";

/** Removes internal labels; see the module doc. */
export class DropInternalLabelsProcessor implements Processor {
  readonly #keep: ReadonlySet<string>;
  readonly #keepIngest: ReadonlySet<string>;
  readonly #dropped: Counter;
  readonly #labels: { component_id: string; reason: string };

  constructor(settings: ComponentSettings, config: DropInternalLabelsConfig) {
    this.#keep = new Set(config.keep);
    this.#keepIngest = config.keep_ingest_session_id
      ? new Set([...config.keep, SESSION_ID_LABEL])
      : this.#keep;
    this.#labels = { component_id: settings.id, reason: "empty_labels" };
    this.#dropped = settings.metrics.counter(
      "profcol_drop_internal_labels_dropped_profiles_total",
      "Profiles dropped because no label was left, by reason.",
      ["component_id", "reason"],
    );
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  process(item: Item): Item | null {
    const keep = item.kind === "ingest" ? this.#keepIngest : this.#keep;
    const labels = item.labels.filter((name) => !isInternalLabel(name) || keep.has(name));
    if (labels.size === 0) {
      this.#dropped.inc(this.#labels, itemProfiles(item));
      return null;
    }
    return withLabels(item, labels);
  }
}
