/**
 * Example custom processor: adds a label whose value comes from an environment variable, e.g.
 * `cluster=$CLUSTER_NAME` on every profile. The variable is read once when the processor is
 * created, so the hot path is one label insert.
 *
 * ```yaml
 * processors:
 *   module/cluster:
 *     path: ./examples/add_env_label/mod.ts
 *     config: { label: cluster, env: CLUSTER_NAME, default: unknown }
 * ```
 *
 * @module
 */

import { defineProcessor, withLabels, z } from "../../mod.ts";

const labelName = z.string().regex(
  /^[A-Za-z_][A-Za-z0-9_.]*$/,
  "label must be a label name such as cluster or k8s.cluster",
);

/** Adds `label` = `$env` (or `default`) to every profile. */
export default defineProcessor({
  type: "add_env_label",
  description: "Adds a label whose value comes from an environment variable.",
  stability: "beta",
  configSchema: z.strictObject({
    /** The label to set. */
    label: labelName,
    /** The environment variable that holds the value. */
    env: z.string().min(1, "env must name an environment variable"),
    /** Used when the variable is unset or empty; without it that is an error at start. */
    default: z.string().optional(),
    /** Whether to replace a value the profile already has. */
    overwrite: z.boolean().default(true),
  }),
  createDefaultConfig: () => ({ label: "env_label", env: "PROFCOL_ENV_LABEL", default: "" }),
  create(_settings, config) {
    const value = Deno.env.get(config.env) || config.default;
    if (value === undefined) {
      throw new Error(
        `environment variable ${config.env} is not set (set it, or give add_env_label a default)`,
      );
    }
    // An empty value would delete the label: nothing to add, pass items through.
    if (value === "") return (item) => item;
    return (item) => {
      if (!config.overwrite && item.labels.has(config.label)) return item;
      return withLabels(item, item.labels.with(config.label, value));
    };
  },
});
