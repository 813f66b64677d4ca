/**
 * Config of the `sample_labels` processor: relabel rules (the `relabel` processor's `rule`
 * list, same YAML) run over the string labels of every pprof sample, a cap on the decompressed
 * size of a profile it opens, and the size of its rule-result cache.
 *
 * @module
 */

import { z } from "zod";
import {
  type RelabelRule,
  type RelabelRuleInput,
  relabelRulesSchema,
} from "../../core/relabel/mod.ts";
import { byteSizeField, intField } from "../../core/config/fields.ts";

/** Schema of the `sample_labels` processor's config (unknown keys are errors). */
export const sampleLabelsConfigSchema = z.strictObject({
  /** Relabel rules, applied in order to each sample's string labels. */
  rule: relabelRulesSchema.default([] as unknown as RelabelRule[]),
  /** Largest decompressed profile rewritten; a larger one passes unchanged and is counted. */
  max_decompressed_size: byteSizeField().prefault("64MiB"),
  /** Entries of the cache of rule results, keyed by a sample's label set; 0 disables it. */
  max_cache_size: intField({ min: 0 }).default(10_000),
});

/** The parsed config. */
export type SampleLabelsConfig = z.output<typeof sampleLabelsConfigSchema>;

/** The config as written in YAML. */
export interface SampleLabelsConfigInput {
  rule?: RelabelRuleInput[];
  max_decompressed_size?: string | number;
  max_cache_size?: number;
}

/** The default config in input form: no rules (profiles pass unchanged). */
export function createDefaultSampleLabelsConfig(): SampleLabelsConfigInput {
  return { rule: [], max_decompressed_size: "64MiB", max_cache_size: 10_000 };
}
