/**
 * Config of the `relabel` processor: Alloy `pyroscope.relabel`'s arguments (`rule` blocks as a
 * YAML list, `max_cache_size`), without `forward_to` (the pipeline decides where items go).
 *
 * @module
 */

import { z } from "zod";
import {
  type RelabelRule,
  type RelabelRuleInput,
  relabelRulesSchema,
} from "../../core/relabel/mod.ts";
import { intField } from "../../core/config/fields.ts";

/** Schema of the `relabel` processor's config (unknown keys are errors). */
export const relabelProcessorConfigSchema = z.strictObject({
  /** Relabel rules, applied in order (Prometheus `relabel_config` semantics). */
  rule: relabelRulesSchema.default([] as unknown as RelabelRule[]),
  /** Entries of the LRU cache of results, keyed by the input label set; 0 disables it. */
  max_cache_size: intField({ min: 0 }).default(10_000),
});

/** The parsed config. */
export type RelabelProcessorConfig = z.output<typeof relabelProcessorConfigSchema>;

/** The config as written in YAML. */
export interface RelabelProcessorConfigInput {
  rule?: RelabelRuleInput[];
  max_cache_size?: number;
}

/** The default config in input form: no rules, a 10000-entry cache. */
export function createDefaultRelabelConfig(): RelabelProcessorConfigInput {
  return { rule: [], max_cache_size: 10_000 };
}
