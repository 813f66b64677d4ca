/**
 * Config loading: YAML files → `${env:…}`/`${file:…}` expansion → deep merge → validation
 * against the registered factories. Errors name the YAML path and line.
 *
 * @example
 * ```ts
 * import { ConfigError, formatIssue, loadAndValidate } from "./mod.ts";
 * import { Registry } from "../registry.ts";
 * import { builtinFactories } from "../../components.ts";
 * const registry = new Registry(builtinFactories);
 * const files: Record<string, string> = {
 *   "config.yaml": `
 * receivers: { pyroscope.receive_http: {} }
 * exporters: { pyroscope.write: { endpoint: [{ url: "http://pyroscope:4040" }] } }
 * service: { pipelines: { profiles: { receivers: [pyroscope.receive_http], exporters: [pyroscope.write] } } }
 * `,
 *   "typo.yaml": "exporters: { pyroscope.write: { endpoints: [] } }",
 * };
 * const readFile = (path: string) => files[path]!; // default: Deno.readTextFileSync
 * const config = loadAndValidate(["config.yaml"], registry, { readFile });
 * config.pipelines[0]!.name; // "profiles"
 * let problem = "";
 * try {
 *   loadAndValidate(["config.yaml", "typo.yaml"], registry, { readFile }); // later files merge over earlier ones
 * } catch (error) {
 *   problem = formatIssue((error as ConfigError).issues[0]!);
 * }
 * problem; // 'exporters::pyroscope.write::endpoints: Unknown key "endpoints"; did you mean "endpoint"? (typo.yaml:1)'
 * ```
 * @module
 */

import type { Registry } from "../registry.ts";
import { loadConfigFiles, type LoadOptions } from "./source.ts";
import { validateConfig, type ValidatedConfig } from "./validate.ts";

export * from "./errors.ts";
export * from "../redact.ts";
export * from "./service_schema.ts";
export * from "./source.ts";
export * from "./validate.ts";
export { printableConfig } from "./printable.ts";

/**
 * An async step run on the merged, expanded config before validation — e.g. importing user
 * processor modules so their schemas can validate synchronously. `baseDir` is the directory of
 * the config file that (last) defined the `processors` section, else of the first file; relative
 * paths in the config resolve against it.
 */
export type ConfigPreloader = (doc: Record<string, unknown>, baseDir: string) => Promise<void>;

/** Like {@linkcode loadAndValidate}, running `preloaders` between loading and validation. */
export async function loadAndValidateAsync(
  files: readonly string[],
  registry: Registry,
  options: LoadOptions & { preloaders?: readonly ConfigPreloader[] } = {},
): Promise<ValidatedConfig> {
  const source = loadConfigFiles(files, options);
  const anchor = source.locate(["processors"])?.file ?? files[0] ?? ".";
  const baseDir = anchor.includes("/") ? anchor.slice(0, anchor.lastIndexOf("/")) || "/" : ".";
  for (const preload of options.preloaders ?? []) await preload(source.value, baseDir);
  return validateConfig(source, registry);
}

/** Reads, expands, merges and validates config files; throws `ConfigError`. */
export function loadAndValidate(
  files: readonly string[],
  registry: Registry,
  options: LoadOptions = {},
): ValidatedConfig {
  return validateConfig(loadConfigFiles(files, options), registry);
}
