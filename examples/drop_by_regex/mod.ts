/**
 * Example custom processor: drops profiles whose label matches an RE2 regex (anchored, as in
 * relabel rules), using profcol's relabel engine through the public API.
 *
 * ```yaml
 * processors:
 *   module/no_canaries:
 *     path: ./examples/drop_by_regex/mod.ts
 *     config: { label: pod, regex: ".*-canary-.*" }
 * ```
 *
 * @module
 */

import { compileRelabelRules, defineProcessor, relabel, z } from "../../mod.ts";

/** Drops profiles whose `label` matches `regex`; counts what it drops. */
export default defineProcessor({
  type: "drop_by_regex",
  description: "Drops profiles whose label matches an RE2 regex.",
  configSchema: z.strictObject({
    /** The label to test (a missing label counts as ""). */
    label: z.string().min(1, "label must not be empty"),
    /** RE2 regex, anchored at both ends. */
    regex: z.string(),
  }).superRefine((config, ctx) => {
    try {
      compileRelabelRules([{ source_labels: [config.label], regex: config.regex, action: "drop" }]);
    } catch (error) {
      ctx.addIssue({ code: "custom", path: ["regex"], message: (error as Error).message });
    }
  }),
  createDefaultConfig: () => ({ label: "env", regex: "dev" }),
  create(settings, config) {
    const rules = compileRelabelRules([
      { source_labels: [config.label], regex: config.regex, action: "drop" },
    ]);
    const dropped = settings.metrics.counter(
      "profcol_example_drop_by_regex_dropped_profiles_total",
      "Profiles dropped by the drop_by_regex example module.",
      ["component_id"],
    );
    const labels = { component_id: settings.id };
    return (item) => {
      if (relabel(item.labels, rules) !== null) return item;
      dropped.inc(labels);
      return null;
    };
  },
});
