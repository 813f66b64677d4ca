/**
 * profcol's command line: `run`, `validate`, `components`, `print-config`, `schema`, `build`,
 * `convert`, plus `--help` and `--version` (see `cli/mod.ts`).
 *
 * ```sh
 * deno run --allow-all main.ts run config.example.yaml
 * deno run --allow-all main.ts schema > profcol.schema.json
 * ```
 *
 * `run` first checks the container's memory limit (`cli/heap_limit.ts`).
 *
 * @module
 */

if (import.meta.main) {
  if (Deno.args[0] === "run") {
    // Before loading anything else: maybe start again with V8's heap sized to the container.
    const { relaunchWithHeapLimit } = await import("./cli/heap_limit.ts");
    const status = await relaunchWithHeapLimit();
    if (status !== undefined) Deno.exit(status);
  }
  const { runCli } = await import("./cli/mod.ts");
  const { builtinFactories } = await import("./components.ts");
  const { preloadModules } = await import("./processors/module/mod.ts");
  // Preloading user modules lets `validate` check a module processor's own config.
  Deno.exit(await runCli(Deno.args, { factories: builtinFactories, preloaders: [preloadModules] }));
}
