/**
 * The `drop_internal_labels` processor factory.
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import { createDefaultDropInternalLabelsConfig, dropInternalLabelsConfigSchema } from "./config.ts";
import { DropInternalLabelsProcessor } from "./drop_internal_labels_processor.ts";

export { DropInternalLabelsProcessor } from "./drop_internal_labels_processor.ts";
export { type DropInternalLabelsConfig, dropInternalLabelsConfigSchema } from "./config.ts";

/** Factory of the `drop_internal_labels` processor. */
export const dropInternalLabelsProcessorFactory: ProcessorFactory<
  typeof dropInternalLabelsConfigSchema
> = {
  type: "drop_internal_labels",
  kind: "processor",
  stability: "beta",
  description:
    "Removes internal __* labels (discovery metadata, __address__, …) except a keep list.",
  configSchema: dropInternalLabelsConfigSchema,
  createDefaultConfig: createDefaultDropInternalLabelsConfig,
  create: (settings, config) => new DropInternalLabelsProcessor(settings, config),
};
