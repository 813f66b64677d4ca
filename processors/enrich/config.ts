/**
 * Config of the `enrich` processor (Alloy's `pyroscope.enrich`): Alloy's argument names
 * (`target_match_label`, `profiles_match_label`, `labels_to_copy`) and, in place of Alloy's
 * `targets = discovery.….targets`, the discovery keys of `pyroscope.scrape` (`targets`,
 * `file_sd_configs`, `http_sd_configs`, `kubernetes_sd_configs`) from the discovery provider.
 *
 * @module
 */

import { z } from "zod";
import type { DiscoveryProvider } from "../../core/discovery.ts";
import { isValidLabelName } from "../../core/relabel/mod.ts";

const labelName = (field: string) =>
  z.string({ error: `${field} must be a label name` }).refine((name) => isValidLabelName(name), {
    error: (issue) => `${field}: "${issue.input}" is not a valid label name`,
  });

/** Builds the schema around the discovery keys of `discovery` (unknown keys are errors). */
export function enrichConfigSchema(discovery: DiscoveryProvider) {
  return z.strictObject({
    ...discovery.configShape,
    /** The target label whose value identifies a target. */
    target_match_label: labelName("target_match_label"),
    /** The profile label compared with it; defaults to `target_match_label`. */
    profiles_match_label: labelName("profiles_match_label").optional(),
    /** Target labels copied onto matching profiles; empty copies every public label. */
    labels_to_copy: z.array(labelName("labels_to_copy"), {
      error: "labels_to_copy must be a list of label names",
    }).default([]),
  });
}

/** The schema type. */
export type EnrichConfigSchema = ReturnType<typeof enrichConfigSchema>;

/** The parsed config. */
export type EnrichConfig = z.output<EnrichConfigSchema>;

/** The default config in input form (a match label is required, so this one is a sample). */
export function createDefaultEnrichConfig(): z.input<EnrichConfigSchema> {
  return { target_match_label: "service_name" } as z.input<EnrichConfigSchema>;
}
