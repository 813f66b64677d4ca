/**
 * profcol's command line: `run`, `validate`, `components`, `print-config`, `schema`, `build`,
 * `convert`, plus `--help` and `--version` (see `cli/mod.ts`).
 *
 * ```sh
 * deno run --allow-all main.ts run config.example.yaml
 * deno run --allow-all main.ts schema > profcol.schema.json
 * ```
 *
 * @module
 */

import { runCli } from "./cli/mod.ts";
import { builtinFactories } from "./components.ts";
import { preloadModules } from "./processors/module/mod.ts";

if (import.meta.main) {
  // Preloading user modules lets `validate` check a module processor's own config.
  Deno.exit(await runCli(Deno.args, { factories: builtinFactories, preloaders: [preloadModules] }));
}
