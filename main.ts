/**
 * profcol's command line: `run`, `validate`, `components`, `print-config` (see `cli/mod.ts`).
 *
 * ```sh
 * deno run --allow-all main.ts run --config config.example.yaml
 * ```
 *
 * @module
 */

import { runCli } from "./cli/mod.ts";
import { builtinFactories } from "./components.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, { factories: builtinFactories }));
}
