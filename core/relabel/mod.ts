/**
 * The relabel engine shared by the `relabel` processor and the scraper's target relabeling:
 * Prometheus `relabel_config` semantics with RE2 regexes (spec relabel.md).
 *
 * @example
 * ```ts
 * import { LabelSet } from "../labels.ts";
 * import { compileRelabelRules, relabel } from "./mod.ts";
 * const rules = compileRelabelRules([
 *   { source_labels: ["env"], regex: "dev|test", action: "drop" },
 *   { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
 * ]);
 * relabel(LabelSet.from({ env: "dev" }), rules); // null (dropped)
 * relabel(LabelSet.from({ __meta_kubernetes_namespace: "shop" }), rules)?.get("namespace"); // "shop"
 * ```
 * @module
 */

import { z } from "zod";
import {
  compileRule,
  type NameValidationScheme,
  RelabelConfigError,
  type RelabelRule,
  type RelabelRuleInput,
  relabelRuleInputSchema,
} from "./rule.ts";

export { relabel, relabelAllowingEmpty } from "./relabel.ts";
export {
  isValidLabelName,
  type NameValidationScheme,
  RELABEL_ACTIONS,
  type RelabelAction,
  RelabelConfigError,
  type RelabelRule,
  type RelabelRuleInput,
} from "./rule.ts";
export { goToLower, goToUpper } from "./case.ts";
export { hashmod } from "./hashmod.ts";

/**
 * One rule in YAML form (`source_labels`, `separator`, `regex`, `modulus`, `target_label`,
 * `replacement`, `action`): defaults applied, validated as Prometheus does at config load,
 * compiled. Errors carry the field in their path.
 */
export const relabelRuleSchema: z.ZodType<RelabelRule, RelabelRuleInput> = relabelRuleInputSchema
  .transform((input, ctx) => {
    try {
      return compileRule(input as RelabelRuleInput);
    } catch (error) {
      if (!(error instanceof RelabelConfigError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message, path: [error.field] });
      return z.NEVER;
    }
  }) as unknown as z.ZodType<RelabelRule, RelabelRuleInput>;

/** A list of rules; errors carry the rule index and field in their path. */
export const relabelRulesSchema: z.ZodType<RelabelRule[], RelabelRuleInput[]> = z.array(
  relabelRuleSchema,
  { error: "rule must be a list of relabel rules" },
);

function formatPath(path: readonly PropertyKey[]): string {
  let out = "rule";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  }
  return out;
}

/**
 * Validates and compiles rules given in YAML form. Throws an `Error` whose message names the
 * rule index and field, e.g. `rule[1].modulus: relabel configuration for hashmod requires
 * non-zero modulus`. `scheme` picks the label-name validation (default `utf8`).
 */
export function compileRelabelRules(
  rules: readonly Record<string, unknown>[] | readonly unknown[],
  scheme: NameValidationScheme = "utf8",
): RelabelRule[] {
  if (!Array.isArray(rules)) throw new Error("rule: must be a list of relabel rules");
  if (scheme === "utf8") {
    const result = relabelRulesSchema.safeParse(rules);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    throw new Error(`${formatPath(issue.path)}: ${issue.message}`);
  }
  return rules.map((rule, index) => {
    const raw = relabelRuleInputSchema.safeParse(rule);
    if (!raw.success) {
      const issue = raw.error.issues[0]!;
      throw new Error(`${formatPath([index, ...issue.path])}: ${issue.message}`);
    }
    try {
      return compileRule(raw.data as RelabelRuleInput, scheme);
    } catch (error) {
      if (!(error instanceof RelabelConfigError)) throw error;
      throw new Error(`${formatPath([index, error.field])}: ${error.message}`);
    }
  });
}
