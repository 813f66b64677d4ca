/**
 * `profcol validate --config FILE`: checks a config without running it.
 *
 * @module
 */

import { CONFIG_FLAG_USAGE, configFiles, loadForCli } from "./config_flags.ts";
import type { Subcommand } from "./mod.ts";

/** The `validate` subcommand. */
export const validateCommand: Subcommand = {
  name: "validate",
  summary: "Check a config without running it (exit 2 when invalid)",
  usage: [
    "Usage: profcol validate FILE ... | --config FILE [--config FILE ...]",
    "",
    "Loads, expands (${env:VAR}, ${file:PATH}), merges and validates the config against every",
    "registered component. Prints each problem with its YAML path and line; warnings (such as",
    "a component no pipeline uses) do not fail validation.",
    "",
    "Flags:",
    CONFIG_FLAG_USAGE,
  ].join("\n"),
  async run(args, context) {
    const { files } = configFiles(args, [], "validate");
    const loaded = await loadForCli(files, context);
    if (!loaded) return 2;
    const { config } = loaded;
    const components = config.receivers.size + config.processors.size + config.exporters.size;
    context.out(
      `${files.join(", ")}: configuration is valid (${config.pipelines.length} ${
        config.pipelines.length === 1 ? "pipeline" : "pipelines"
      }, ${components} ${components === 1 ? "component" : "components"})`,
    );
    return 0;
  },
};
