/**
 * The `relabel` processor factory (Alloy `pyroscope.relabel`).
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import { createDefaultRelabelConfig, relabelProcessorConfigSchema } from "./config.ts";
import { RelabelProcessor } from "./relabel_processor.ts";
import { relabelAlloy } from "./alloy.ts";

export { RelabelProcessor } from "./relabel_processor.ts";
export { type RelabelProcessorConfig, relabelProcessorConfigSchema } from "./config.ts";

/** Factory of the `relabel` processor. */
export const relabelProcessorFactory: ProcessorFactory<typeof relabelProcessorConfigSchema> = {
  type: "relabel",
  kind: "processor",
  stability: "beta",
  description:
    "Rewrites, keeps or drops profiles by their labels with Prometheus relabel rules (pyroscope.relabel).",
  configSchema: relabelProcessorConfigSchema,
  alloy: relabelAlloy,
  createDefaultConfig: createDefaultRelabelConfig,
  create: (settings, config) => new RelabelProcessor(settings, config),
};
