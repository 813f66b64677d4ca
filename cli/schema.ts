/**
 * `profcol schema [--config FILE ...]`: prints the JSON Schema of the config file for editors
 * (`# yaml-language-server: $schema=./profcol.schema.json`) and CI. With `--config`, the user
 * processor modules the config names (`processors: { module/<name>: { path } }`) are loaded
 * and their own config schemas included.
 *
 * @module
 */

import { ConfigError, formatIssue } from "../core/config/errors.ts";
import { configJsonSchema, type ModuleSchema } from "../core/config/json_schema.ts";
import { loadConfigFiles } from "../core/config/source.ts";
import { preloadedModule, preloadModules } from "../processors/module/mod.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { Subcommand } from "./mod.ts";

/** The `schema` subcommand. */
export const schemaCommand: Subcommand = {
  name: "schema",
  summary: "Print the config's JSON Schema (for editors and CI)",
  usage: [
    "Usage: profcol schema [--config FILE ...]",
    "",
    "Prints the JSON Schema (draft 2020-12) of a config file, built from every component's",
    "schema. Save it and point your editor at it from the config's first line:",
    "",
    "  deno run -A main.ts schema > profcol.schema.json",
    "  # yaml-language-server: $schema=./profcol.schema.json",
    "",
    "Flags:",
    "  -c, --config FILE  Also describe the config of the processor modules this config loads",
    "                     (processors: { module/<name>: { path } }). Repeatable.",
  ].join("\n"),
  async run(args, context) {
    let flags;
    try {
      flags = parseFlags(args, { strings: ["config"], aliases: { c: "config" } });
    } catch (error) {
      if (!(error instanceof UsageError) || !error.message.startsWith("unknown flag")) throw error;
      throw new UsageError(`${error.message}; profcol schema takes only --config FILE`);
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(
        `unexpected argument "${flags.positionals[0]}"; to include a config's modules use ` +
          `--config ${flags.positionals[0]}`,
      );
    }
    const files = flags.strings.get("config") ?? [];
    const modules: ModuleSchema[] = [];
    if (files.length > 0) {
      let source;
      try {
        source = loadConfigFiles(files);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const issue of error.issues) context.err(`error: ${formatIssue(issue)}`);
        return 2;
      }
      const anchor = source.locate(["processors"])?.file ?? files[0]!;
      const baseDir = anchor.includes("/") ? anchor.slice(0, anchor.lastIndexOf("/")) || "/" : ".";
      await preloadModules(source.value, baseDir);
      const processors = source.value.processors;
      for (const [id, value] of Object.entries(isMap(processors) ? processors : {})) {
        if (!id.startsWith("module/") || !isMap(value) || typeof value.path !== "string") continue;
        const loaded = preloadedModule(value.path);
        if (loaded === undefined) continue;
        if (!loaded.ok) {
          context.err(`error: processors::${id}::path: ${loaded.error}`);
          return 2;
        }
        modules.push({
          id,
          configSchema: loaded.factory.configSchema,
          description: loaded.factory.description,
        });
      }
    }
    context.out(JSON.stringify(configJsonSchema(context.factories, modules), null, 2));
    return 0;
  },
};

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
