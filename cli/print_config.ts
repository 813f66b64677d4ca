/**
 * `profcol print-config --config FILE`: the merged config with defaults, secrets redacted.
 *
 * @module
 */

import { stringify } from "yaml";
import { printableConfig } from "../core/config/printable.ts";
import { CONFIG_FLAG_USAGE, configFiles, loadForCli } from "./config_flags.ts";
import type { Subcommand } from "./mod.ts";

/** The `print-config` subcommand. */
export const printConfigCommand: Subcommand = {
  name: "print-config",
  summary: "Print the effective config (merged, defaults filled in, secrets redacted)",
  usage: [
    "Usage: profcol print-config [--json] FILE ... | --config FILE [--config FILE ...]",
    "",
    "Prints the config as it will run: files merged in order, ${env:...}/${file:...} expanded,",
    "every component's defaults filled in. Values of secret settings (password, bearer_token,",
    "client_secret, credentials, key_pem, tokens, *_secret, *_password, *_token, ...) print as",
    "<secret>.",
    "",
    "Flags:",
    CONFIG_FLAG_USAGE,
    "  --json             Print JSON instead of YAML",
  ].join("\n"),
  async run(args, context) {
    const { files, booleans } = configFiles(args, ["json"], "print-config");
    const loaded = await loadForCli(files, context);
    if (!loaded) return 2;
    const printable = printableConfig(loaded.config);
    context.out(
      booleans.has("json")
        ? JSON.stringify(printable, null, 2)
        : stringify(printable, { lineWidth: 0 }).trimEnd(),
    );
    return 0;
  },
};
