/**
 * The built-in component factories. `main.ts build` generates a variant of this file that
 * also lists user modules. Only this file knows the full list.
 *
 * @module
 */

import type { Factory } from "./core/component.ts";
import { fileExporterFactory } from "./exporters/file/mod.ts";

/** Every built-in factory. */
export const builtinFactories: readonly Factory[] = [
  fileExporterFactory,
];
