/**
 * The `sample_labels` processor factory: relabel rules over the labels inside pprof samples.
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import { createDefaultSampleLabelsConfig, sampleLabelsConfigSchema } from "./config.ts";
import { SampleLabelsProcessor } from "./sample_labels_processor.ts";

export { SampleLabelsProcessor } from "./sample_labels_processor.ts";
export { type SampleLabelsConfig, sampleLabelsConfigSchema } from "./config.ts";
export {
  createSampleRules,
  rewriteSampleLabels,
  type SampleRewrite,
  type SampleRules,
} from "./rewrite.ts";

/** Factory of the `sample_labels` processor. */
export const sampleLabelsProcessorFactory: ProcessorFactory<typeof sampleLabelsConfigSchema> = {
  type: "sample_labels",
  kind: "processor",
  stability: "experimental",
  description:
    "Rewrites, keeps or drops pprof samples by their own labels with relabel rules, merging " +
    "samples that become equal.",
  configSchema: sampleLabelsConfigSchema,
  createDefaultConfig: createDefaultSampleLabelsConfig,
  create: (settings, config) => new SampleLabelsProcessor(settings, config),
};
