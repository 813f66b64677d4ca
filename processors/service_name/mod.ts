/**
 * The `service_name` processor factory.
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import { createDefaultServiceNameConfig, serviceNameConfigSchema } from "./config.ts";
import { ServiceNameProcessor } from "./service_name_processor.ts";

export { ServiceNameProcessor } from "./service_name_processor.ts";
export { type ServiceNameConfig, serviceNameConfigSchema } from "./config.ts";

/** Factory of the `service_name` processor. */
export const serviceNameProcessorFactory: ProcessorFactory<typeof serviceNameConfigSchema> = {
  type: "service_name",
  kind: "processor",
  stability: "beta",
  description:
    "Sets service_name where it is missing: from chosen labels, discovery metadata, or a fallback.",
  configSchema: serviceNameConfigSchema,
  createDefaultConfig: createDefaultServiceNameConfig,
  create: (settings, config) => new ServiceNameProcessor(settings, config),
};
