/**
 * Config of the `service_name` processor.
 *
 * @module
 */

import { z } from "zod";
import { stringField } from "../../core/config/fields.ts";
import { isValidLabelName } from "../../core/relabel/mod.ts";

const labelName = z.string({ error: "source_labels must be a list of label names" }).refine(
  (name) => isValidLabelName(name),
  { error: (issue) => `"${issue.input}" is not a valid label name` },
);

/** Schema of the `service_name` processor's config (unknown keys are errors). */
export const serviceNameConfigSchema = z.strictObject({
  /** Labels tried first, in order; the first non-empty value becomes `service_name`. */
  source_labels: z.array(labelName, { error: "source_labels must be a list of label names" })
    .default([]),
  /** Whether to use pyroscope.scrape's inference from Kubernetes/Docker metadata. */
  infer_from_metadata: z.boolean({ error: "infer_from_metadata must be true or false" })
    .default(true),
  /** Value used when nothing else gives a name; `""` leaves the label absent. */
  fallback: stringField().default("unspecified"),
});

/** The parsed config. */
export type ServiceNameConfig = z.output<typeof serviceNameConfigSchema>;

/** The default config in input form. */
export function createDefaultServiceNameConfig(): z.input<typeof serviceNameConfigSchema> {
  return { source_labels: [], infer_from_metadata: true, fallback: "unspecified" };
}
