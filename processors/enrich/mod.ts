/**
 * The `enrich` processor factory. It needs a discovery provider (the kernel contract of
 * `core/discovery.ts`); `components.ts` hands it `pyroscope.scrape`'s.
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import type { DiscoveryProvider } from "../../core/discovery.ts";
import {
  createDefaultEnrichConfig,
  type EnrichConfigSchema,
  enrichConfigSchema,
} from "./config.ts";
import { EnrichProcessor } from "./enrich_processor.ts";
import { enrichAlloy } from "./alloy.ts";

export { EnrichProcessor } from "./enrich_processor.ts";
export { type EnrichConfig, enrichConfigSchema } from "./config.ts";

/** The factory of the `enrich` processor over `discovery`. */
export function enrichProcessorFactory(
  discovery: DiscoveryProvider,
): ProcessorFactory<EnrichConfigSchema> {
  return {
    type: "enrich",
    kind: "processor",
    stability: "experimental",
    description:
      "Copies labels of discovered targets (static, file, HTTP, Kubernetes) onto profiles whose label matches.",
    configSchema: enrichConfigSchema(discovery),
    alloy: enrichAlloy,
    createDefaultConfig: createDefaultEnrichConfig,
    create: (settings, config) => new EnrichProcessor(settings, config, discovery),
  };
}
