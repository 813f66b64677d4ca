/**
 * `pyroscope.write` from Alloy: its `endpoint` blocks and `external_labels` as written.
 *
 * @module
 */

import type { AlloyMapping } from "../../core/alloy.ts";

/** Alloy's `pyroscope.write`. */
export const pyroscopeWriteAlloy: AlloyMapping = {
  type: "pyroscope.write",
  convert: (block) => block.body(),
};
