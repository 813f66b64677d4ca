/**
 * `profcol build`: a binary that contains custom processor modules — the OpenTelemetry
 * Collector Builder pattern. Reads a manifest, imports each module to learn its component
 * type (duplicates, also against the built-ins, are rejected), writes an entry file with
 * static imports of the built-ins and the modules, and runs `deno compile` on it.
 *
 * Manifest (`builder.yaml`; relative paths are relative to the manifest's directory):
 *
 * ```yaml
 * output: dist/profcol-custom     # optional; --output wins
 * modules:                        # each a path, or { path, export } to pick a named export
 *   - ./redact.ts
 *   - { path: ./processors/sample.ts, export: processor }
 * include: [./static/]            # optional extra files for deno compile --include
 * ```
 *
 * The generated entry runs with `deno run --config <profcol>/deno.json <entry> …` as well,
 * which is how the tests check it without compiling. `deno compile` downloads the `denort`
 * runtime from dl.deno.land unless `DENORT_BIN` points at a local one.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { builtinFactories } from "../components.ts";
import { isDefinedProcessor } from "../mod.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { CliContext, Subcommand } from "./mod.ts";

/** One line for the subcommand table. */
export const BUILD_SUMMARY = "Compile a binary that includes custom processor modules";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

const manifestSchema = z.strictObject({
  output: z.string().min(1, "output must not be empty").optional(),
  modules: z.array(
    z.union([
      z.string().min(1, "a module path must not be empty"),
      z.strictObject({
        path: z.string().min(1, "path must not be empty"),
        export: z.string().min(1, "export must not be empty").optional(),
      }),
    ], { error: "each module must be a path or { path, export }" }),
    { error: "modules must be a list of module paths" },
  ).min(1, "modules must list at least one module"),
  include: z.array(z.string(), { error: "include must be a list of paths" }).default([]),
});

/** A module of the manifest, resolved. */
export interface ManifestModule {
  /** Path as written. */
  readonly path: string;
  readonly absolutePath: string;
  /** The export holding the factory; undefined = `default`, then `processor`. */
  readonly exportName: string | undefined;
}

/** A parsed manifest with absolute paths. */
export interface BuildManifest {
  readonly output: string | undefined;
  readonly modules: readonly ManifestModule[];
  readonly include: readonly string[];
}

/** Reads and validates a manifest; throws an Error naming the file and field. */
export function readManifest(file: string): BuildManifest {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read the manifest: ${(error as Error).message}`);
  }
  const result = manifestSchema.safeParse(parseYaml(text) ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => typeof p === "number" ? `[${p}]` : `::${String(p)}`)
      .join("").replace(/^::/, "");
    throw new Error(`${file}: ${path ? `${path}: ` : ""}${issue.message}`);
  }
  const base = dirname(resolve(file));
  const abs = (path: string) => isAbsolute(path) ? path : resolve(base, path);
  return {
    output: result.data.output === undefined ? undefined : abs(result.data.output),
    modules: result.data.modules.map((entry) => {
      const path = typeof entry === "string" ? entry : entry.path;
      return {
        path,
        absolutePath: abs(path),
        exportName: typeof entry === "string" ? undefined : entry.export,
      };
    }),
    include: result.data.include.map(abs),
  };
}

/** Imports each module and returns its component type; rejects bad exports and duplicates. */
export async function moduleTypes(modules: readonly ManifestModule[]): Promise<string[]> {
  const seen = new Map<string, string>(builtinFactories.map((f) => [f.type, "built-in"]));
  const types: string[] = [];
  for (const module of modules) {
    let namespace: Record<string, unknown>;
    try {
      namespace = await import(pathToFileURL(module.absolutePath).href);
    } catch (error) {
      throw new Error(`module ${module.path}: cannot import: ${(error as Error).message}`);
    }
    const factory = module.exportName === undefined
      ? namespace.default ?? namespace.processor
      : namespace[module.exportName];
    if (!isDefinedProcessor(factory)) {
      throw new Error(
        `module ${module.path}: export ${module.exportName ?? "default (or processor)"} is not ` +
          "a processor made with defineProcessor() from profcol's mod.ts",
      );
    }
    const previous = seen.get(factory.type);
    if (previous !== undefined) {
      throw new Error(
        `module ${module.path}: component type "${factory.type}" is already provided by ${previous}`,
      );
    }
    seen.set(factory.type, module.path);
    types.push(factory.type);
  }
  return types;
}

/** The source of the generated entry file. */
export function generateEntry(manifest: BuildManifest): string {
  const url = (path: string) => JSON.stringify(pathToFileURL(path).href);
  const lines = [
    "// Generated by `profcol build`. Do not edit: change the manifest and build again.",
    `import { runCli } from ${url(join(REPO_ROOT, "cli/mod.ts"))};`,
    `import { builtinFactories } from ${url(join(REPO_ROOT, "components.ts"))};`,
    `import type { Factory } from ${url(join(REPO_ROOT, "core/component.ts"))};`,
    `import { isDefinedProcessor } from ${url(join(REPO_ROOT, "mod.ts"))};`,
  ];
  manifest.modules.forEach((module, index) => {
    lines.push(`import * as module${index} from ${url(module.absolutePath)};`);
  });
  lines.push(
    "",
    "function pick(namespace: Record<string, unknown>, path: string, name?: string): Factory {",
    "  const factory = name === undefined",
    "    ? namespace.default ?? namespace.processor",
    "    : namespace[name];",
    "  if (!isDefinedProcessor(factory)) {",
    "    throw new Error(`module ${path}: not a processor made with defineProcessor()`);",
    "  }",
    "  return factory;",
    "}",
    "",
    "/** The built-in factories plus the manifest's modules. */",
    "export const factories: readonly Factory[] = [",
    "  ...builtinFactories,",
    ...manifest.modules.map((module, index) =>
      `  pick(module${index}, ${JSON.stringify(module.path)}${
        module.exportName === undefined ? "" : `, ${JSON.stringify(module.exportName)}`
      }),`
    ),
    "];",
    "",
    "const types = new Set<string>();",
    "for (const factory of factories) {",
    "  if (types.has(factory.type)) throw new Error(`duplicate component type ${factory.type}`);",
    "  types.add(factory.type);",
    "}",
    "",
    "if (import.meta.main) {",
    "  Deno.exit(await runCli(Deno.args, { factories }));",
    "}",
    "",
  );
  return lines.join("\n");
}

/** The `deno compile` arguments for an entry file. */
export function compileArgs(manifest: BuildManifest, entry: string, output: string): string[] {
  const args = [
    "compile",
    "--allow-all",
    "--config",
    join(REPO_ROOT, "deno.json"),
    "--output",
    output,
    // The module processor's default config imports this file dynamically.
    "--include",
    join(REPO_ROOT, "processors/module/passthrough.ts"),
    // Worker threads (`service.workers`) load their entry and the scrape tasks by URL.
    "--include",
    join(REPO_ROOT, "core/workers/worker_main.ts"),
    "--include",
    join(REPO_ROOT, "receivers/pyroscope_scrape/scrape_task.ts"),
  ];
  for (const path of manifest.include) args.push("--include", path);
  args.push(entry);
  return args;
}

const USAGE = [
  "Usage: profcol build --manifest FILE [--output PATH] [--entry FILE] [--entry-only]",
  "",
  "Compiles a profcol binary that includes the processor modules listed in the manifest.",
  "",
  "Flags:",
  "  --manifest FILE  Builder manifest (YAML): modules, optional output and include",
  "  --output PATH    Where to write the binary (default: the manifest's output)",
  "  --entry FILE     Where to write the generated entry (default: a temporary directory)",
  "  --entry-only     Write the entry and stop (run it with deno run --config deno.json)",
  "",
  "deno compile downloads the denort runtime unless DENORT_BIN names a local one.",
].join("\n");

async function build(args: readonly string[], context: Pick<CliContext, "out" | "err">) {
  const flags = parseFlags(args, {
    strings: ["manifest", "output", "entry"],
    booleans: ["entry-only"],
  });
  if (flags.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${flags.positionals[0]}"`);
  }
  const manifestFile = flags.strings.get("manifest")?.at(-1);
  if (manifestFile === undefined) throw new UsageError("--manifest FILE is required");
  const entryOnly = flags.booleans.has("entry-only");
  let manifest: BuildManifest;
  try {
    manifest = readManifest(manifestFile);
    const types = await moduleTypes(manifest.modules);
    context.err(`modules: ${types.join(", ")}`);
  } catch (error) {
    context.err(`error: ${(error as Error).message}`);
    return 2;
  }
  const outputFlag = flags.strings.get("output")?.at(-1);
  const output = outputFlag === undefined ? manifest.output : resolve(outputFlag);
  if (output === undefined && !entryOnly) {
    throw new UsageError("--output PATH is required (or set output in the manifest)");
  }
  const entryFlag = flags.strings.get("entry")?.at(-1);
  const entry = entryFlag === undefined
    ? join(await Deno.makeTempDir({ prefix: "profcol-build-" }), "main.generated.ts")
    : resolve(entryFlag);
  await Deno.mkdir(dirname(entry), { recursive: true });
  await Deno.writeTextFile(entry, generateEntry(manifest));
  context.out(`entry: ${entry}`);
  if (entryOnly) return 0;

  await Deno.mkdir(dirname(output!), { recursive: true });
  const command = new Deno.Command(Deno.execPath(), {
    args: compileArgs(manifest, entry, output!),
    stdout: "piped",
    stderr: "piped",
  });
  const result = await command.output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (!result.success) {
    context.err(stderr.trimEnd());
    if (/denort|dl\.deno\.land|Setting up base binary/.test(stderr)) {
      context.err(
        "error: deno compile needs the denort runtime: download it on a connected machine " +
          "(or copy it) and set DENORT_BIN to its path",
      );
    } else {
      context.err("error: deno compile failed");
    }
    return 1;
  }
  context.out(`binary: ${output}`);
  return 0;
}

/** The `build` subcommand. */
export const buildCommand: Subcommand = {
  name: "build",
  summary: BUILD_SUMMARY,
  usage: USAGE,
  run: (args, context) => build(args, context),
};
