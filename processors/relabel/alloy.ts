/**
 * Alloy's `pyroscope.relabel` is the `relabel` processor: its `rule` blocks and
 * `max_cache_size` as written.
 *
 * @module
 */

import type { AlloyMapping } from "../../core/alloy.ts";

/** Alloy's `pyroscope.relabel`. */
export const relabelAlloy: AlloyMapping = {
  type: "pyroscope.relabel",
  convert: (block) => block.body(),
};
