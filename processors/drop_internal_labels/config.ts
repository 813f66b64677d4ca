/**
 * Config of the `drop_internal_labels` processor.
 *
 * @module
 */

import { z } from "zod";
import { WIRE_INTERNAL_LABELS } from "../../core/pyroscope_labels/mod.ts";

/** Schema of the `drop_internal_labels` processor's config (unknown keys are errors). */
export const dropInternalLabelsConfigSchema = z.strictObject({
  /** Internal (`__*`) labels that are kept (default: those the wire keeps on push). */
  keep: z.array(z.string({ error: "keep must be a list of label names" }), {
    error: "keep must be a list of label names",
  }).default([...WIRE_INTERNAL_LABELS.push]),
  /** Whether ingest items keep `__session_id__`, the one internal label `/ingest` forwards. */
  keep_ingest_session_id: z.boolean({ error: "keep_ingest_session_id must be true or false" })
    .default(true),
});

/** The parsed config. */
export type DropInternalLabelsConfig = z.output<typeof dropInternalLabelsConfigSchema>;

/** The default config in input form. */
export function createDefaultDropInternalLabelsConfig(): z.input<
  typeof dropInternalLabelsConfigSchema
> {
  return { keep: [...WIRE_INTERNAL_LABELS.push], keep_ingest_session_id: true };
}
