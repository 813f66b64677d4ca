/**
 * The `main.ts` command line: a table of subcommands.
 *
 * ## Adding a subcommand
 *
 * Write `cli/<name>.ts` exporting a {@linkcode Subcommand}, then add one import and one entry
 * to {@linkcode SUBCOMMANDS} below. A subcommand gets its own arguments (everything after its
 * name) and a {@linkcode CliContext}, writes through `context.out` / `context.err`, and
 * resolves with the exit status: 0 ok, 1 runtime failure, 2 invalid config or usage (throw
 * {@linkcode UsageError} for usage mistakes — it is printed with the subcommand's usage and
 * turned into 2). `--help`/`-h` after a subcommand name prints its `usage` without running it.
 *
 * ```ts
 * import { type Subcommand, UsageError } from "./mod.ts";
 * export const hello: Subcommand = {
 *   name: "hello",
 *   summary: "Print a greeting",
 *   usage: "profcol hello [NAME]",
 *   run(args, context) {
 *     if (args.length > 1) throw new UsageError("at most one NAME");
 *     context.out(`hello ${args[0] ?? "world"}`);
 *     return Promise.resolve(0);
 *   },
 * };
 * ```
 *
 * A generated entry (from `main.ts build`) calls {@linkcode runCli} with its own factory list.
 *
 * @module
 */

import type { Factory } from "../core/component.ts";
import type { ConfigPreloader } from "../core/config/mod.ts";
import { closest } from "../core/config/errors.ts";
import { UsageError } from "./args.ts";
import { buildCommand } from "./build.ts";
import { componentsCommand } from "./components.ts";
import { convertCommand } from "./convert.ts";
import { printConfigCommand } from "./print_config.ts";
import { runCommand } from "./run.ts";
import { schemaCommand } from "./schema.ts";
import { validateCommand } from "./validate.ts";
import { VERSION } from "./version.ts";

export { UsageError } from "./args.ts";

/** What a subcommand gets besides its arguments. */
export interface CliContext {
  /** Every component factory this binary knows. */
  readonly factories: readonly Factory[];
  /** Async steps run on the config before validation (e.g. preloading processor modules). */
  readonly preloaders: readonly ConfigPreloader[];
  readonly version: string;
  /** Writes to stdout (a newline is added). */
  out(text: string): void;
  /** Writes to stderr (a newline is added). */
  err(text: string): void;
  /** Reads all of standard input (tests inject it); default `Deno.stdin`. */
  readStdin?(): Promise<string>;
}

/** One subcommand of `main.ts`. */
export interface Subcommand {
  /** The word after `main.ts`, e.g. `validate`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Full usage text printed by `main.ts <name> --help` and on usage errors. */
  readonly usage: string;
  /** Runs with the arguments after the name; resolves with the exit status. */
  run(args: readonly string[], context: CliContext): Promise<number>;
}

/** Every subcommand, in `--help` order. */
export const SUBCOMMANDS: readonly Subcommand[] = [
  runCommand,
  validateCommand,
  componentsCommand,
  printConfigCommand,
  schemaCommand,
  buildCommand,
  convertCommand,
];

/** Top-level help text. */
export function helpText(subcommands: readonly Subcommand[] = SUBCOMMANDS): string {
  const width = Math.max(...subcommands.map((c) => c.name.length));
  return [
    "profcol — a continuous-profiling collector (Pyroscope/Alloy compatible)",
    "",
    "Usage: profcol <command> [flags]",
    "",
    "Commands:",
    ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Flags:",
    "  -h, --help     Show this help (or a command's help: profcol <command> --help)",
    "  -v, --version  Print the version",
    "",
    "Exit status: 0 ok, 1 runtime failure, 2 invalid config or usage.",
  ].join("\n");
}

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  readonly factories: readonly Factory[];
  readonly preloaders?: readonly ConfigPreloader[];
  readonly version?: string;
  readonly subcommands?: readonly Subcommand[];
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  readonly readStdin?: () => Promise<string>;
}

/** Runs the command line `args`; resolves with the exit status. */
export async function runCli(args: readonly string[], options: RunCliOptions): Promise<number> {
  const subcommands = options.subcommands ?? SUBCOMMANDS;
  const context: CliContext = {
    factories: options.factories,
    preloaders: options.preloaders ?? [],
    version: options.version ?? VERSION,
    out: options.out ?? ((text) => console.log(text)),
    err: options.err ?? ((text) => console.error(text)),
    readStdin: options.readStdin,
  };
  const [first, ...rest] = args;
  if (first === undefined) {
    context.err(helpText(subcommands));
    return 2;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    const named = subcommands.find((c) => c.name === rest[0]);
    context.out(named ? named.usage : helpText(subcommands));
    return 0;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    context.out(`profcol ${context.version}`);
    return 0;
  }
  const command = subcommands.find((c) => c.name === first);
  if (!command) {
    const hint = closest(first, subcommands.map((c) => c.name));
    context.err(
      `profcol: unknown command "${first}"${hint ? `; did you mean "${hint}"?` : ""}\n\n${
        helpText(subcommands)
      }`,
    );
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    context.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.err(`profcol ${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    context.err(`profcol ${command.name}: ${(error as Error)?.stack ?? error}`);
    return 1;
  }
}
