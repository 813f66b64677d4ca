/**
 * Config loading: YAML files → `${env:…}`/`${file:…}` expansion → deep merge → validation
 * against the registered factories. Errors name the YAML path and line.
 *
 * @example
 * ```ts ignore
 * import { loadAndValidate } from "./core/config/mod.ts";
 * const config = loadAndValidate(["config.yaml"], registry); // throws ConfigError
 * ```
 * @module
 */

import type { Registry } from "../registry.ts";
import { loadConfigFiles, type LoadOptions } from "./source.ts";
import { validateConfig, type ValidatedConfig } from "./validate.ts";

export * from "./errors.ts";
export * from "./redact.ts";
export * from "./service_schema.ts";
export * from "./source.ts";
export * from "./validate.ts";
export { printableConfig } from "./printable.ts";

/** Reads, expands, merges and validates config files; throws `ConfigError`. */
export function loadAndValidate(
  files: readonly string[],
  registry: Registry,
  options: LoadOptions = {},
): ValidatedConfig {
  return validateConfig(loadConfigFiles(files, options), registry);
}
