/**
 * The `--config FILE` flag shared by `run`, `validate` and `print-config`, and loading with
 * errors printed the same way everywhere.
 *
 * @module
 */

import { ConfigError, formatIssue } from "../core/config/errors.ts";
import { loadAndValidateAsync, type ValidatedConfig } from "../core/config/mod.ts";
import { Registry } from "../core/registry.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { CliContext } from "./mod.ts";

/** Usage lines for the config flag. */
export const CONFIG_FLAG_USAGE =
  "  -c, --config FILE  Config file (YAML). Repeat to deep-merge several files in order.\n" +
  "                     FILE ... without --config works too (Alloy's habit).";

/**
 * Config files from `--config FILE` (repeatable) or positional `FILE ...` (as `alloy run FILE`),
 * at least one; throws `UsageError` saying what to use.
 */
export function configFiles(
  args: readonly string[],
  booleans: readonly string[] = [],
  command = "run",
): {
  files: readonly string[];
  booleans: ReadonlySet<string>;
} {
  const accepted = ["--config FILE", ...booleans.map((name) => `--${name}`)].join(", ");
  let flags;
  try {
    flags = parseFlags(args, { strings: ["config"], booleans, aliases: { c: "config" } });
  } catch (error) {
    if (!(error instanceof UsageError) || !error.message.startsWith("unknown flag")) throw error;
    throw new UsageError(
      `${error.message}; profcol ${command} takes ${accepted} or FILE ...` +
        " (other settings go in the config file)",
    );
  }
  const named = flags.strings.get("config") ?? [];
  if (named.length > 0 && flags.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument "${flags.positionals[0]}": give config files either as FILE ... or ` +
        "with --config FILE, not both",
    );
  }
  const files = named.length > 0 ? named : flags.positionals;
  if (files.length === 0) {
    throw new UsageError(`a config file is required: profcol ${command} FILE (or --config FILE)`);
  }
  return { files, booleans: flags.booleans };
}

/** Loads and validates; on `ConfigError` prints every issue and returns undefined. */
export async function loadForCli(
  files: readonly string[],
  context: CliContext,
): Promise<{ config: ValidatedConfig; registry: Registry } | undefined> {
  const registry = new Registry(context.factories);
  try {
    const config = await loadAndValidateAsync(files, registry, {
      preloaders: context.preloaders,
    });
    for (const warning of config.warnings) context.err(`warning: ${formatIssue(warning)}`);
    return { config, registry };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) context.err(`error: ${formatIssue(issue)}`);
    context.err(
      `${files.join(", ")}: invalid configuration (${error.issues.length} ${
        error.issues.length === 1 ? "error" : "errors"
      })`,
    );
    return undefined;
  }
}
