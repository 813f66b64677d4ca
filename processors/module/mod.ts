/**
 * The `module` processor factory: loads a user processor module by path (for `deno run`; a
 * compiled binary gets its modules through `main.ts build`).
 *
 * @module
 */

import type { ProcessorFactory } from "../../core/component.ts";
import { createDefaultModuleConfig, moduleProcessorConfigSchema } from "./config.ts";
import { ModuleProcessor } from "./module_processor.ts";

export { ModuleProcessor } from "./module_processor.ts";
export { type ModuleProcessorConfig, moduleProcessorConfigSchema } from "./config.ts";
export {
  clearPreloadedModules,
  loadModuleFactory,
  preloadedModule,
  preloadModules,
  resolveModulePath,
} from "./loader.ts";

/** Factory of the `module` processor. */
export const moduleProcessorFactory: ProcessorFactory<typeof moduleProcessorConfigSchema> = {
  type: "module",
  kind: "processor",
  stability: "experimental",
  description: "Runs a custom processor module (made with defineProcessor) loaded by path.",
  configSchema: moduleProcessorConfigSchema,
  createDefaultConfig: createDefaultModuleConfig,
  create: (settings, config) => new ModuleProcessor(settings, config),
};
