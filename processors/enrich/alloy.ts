/**
 * Alloy's `pyroscope.enrich` is the `enrich` processor: its arguments as written, and its
 * `targets` folded into the discovery keys the processor takes (`kubernetes_sd_configs`,
 * `file_sd_configs`, `http_sd_configs`, static `targets`). `discovery.relabel` rules on the way
 * have no place in enrich and are reported.
 *
 * @module
 */

import type { AlloyMapping } from "../../core/alloy.ts";

/** Alloy's `pyroscope.enrich`. */
export const enrichAlloy: AlloyMapping = {
  type: "pyroscope.enrich",
  convert(block) {
    const config = block.body(["targets"]);
    const targets = block.targets();
    if (targets === undefined) {
      block.warn(`${block.name} has no targets`);
      return config;
    }
    const { relabel_configs: rules, ...sources } = targets;
    if (rules !== undefined) {
      block.warn(
        `${block.name}: discovery.relabel rules on its targets are not converted (enrich has no ` +
          `relabel_configs); name the labels to copy in labels_to_copy instead`,
        "targets",
      );
    }
    return { ...sources, ...config };
  },
};
