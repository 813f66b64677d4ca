/**
 * `profcol convert --from=alloy FILE…`: prints the profcol config equivalent to Grafana Alloy
 * configuration files (see `cli/convert/convert.ts` for the mapping and
 * `docs/coming-from-alloy.md` for the guide).
 *
 * @module
 */

import { parseFlags, UsageError } from "./args.ts";
import { convertAlloy } from "./convert/convert.ts";
import { AlloySyntaxError } from "./convert/parser.ts";
import { ConfigError, formatIssue, loadAndValidate } from "../core/config/mod.ts";
import { Registry } from "../core/registry.ts";
import type { Subcommand } from "./mod.ts";

/** Name of the converted config in validation messages. */
const CONVERTED = "<converted>";

/** The `convert` subcommand. */
export const convertCommand: Subcommand = {
  name: "convert",
  summary: "Convert a Grafana Alloy config (pyroscope.*, discovery.*) to profcol YAML",
  usage: [
    "Usage: profcol convert --from=alloy FILE|DIR|- ...",
    "",
    "Reads Alloy configuration files (merged as one config; a DIR stands for its *.alloy files",
    "in name order, - for standard input) and prints the profcol config on",
    "stdout: pyroscope.scrape / receive_http / relabel / write become components, forward_to",
    "chains become pipelines, discovery.kubernetes / file / http / relabel fold into the scrape",
    'receivers, sys.env("X") becomes "${env:X}". Components profcol does not have become',
    "comments in the output and warnings (file:line) on stderr, as do problems the converted",
    "config would have in `profcol validate`. See docs/coming-from-alloy.md.",
    "",
    "Flags:",
    "  --from FORMAT      The input format; only alloy (River) is supported",
    "",
    "Exit status: 0 converted, 1 nothing could be converted or no pipeline results (no",
    "receiver forwards to a pyroscope.write), 2 a syntax error (file:line:col) or usage.",
  ].join("\n"),
  async run(args, context) {
    const flags = parseFlags(args, { strings: ["from"] });
    const from = flags.strings.get("from")?.at(-1);
    if (from === undefined) throw new UsageError("--from=alloy is required");
    if (from !== "alloy") throw new UsageError(`unknown --from ${from}; only alloy is supported`);
    if (flags.positionals.length === 0) throw new UsageError("at least one FILE is required");
    const files = [];
    for (const name of flags.positionals) {
      try {
        files.push(...await readInputs(name, context));
      } catch (error) {
        context.err(`profcol convert: cannot read ${name}: ${(error as Error).message}`);
        return 2;
      }
    }
    let result;
    try {
      result = convertAlloy(files, context.factories);
    } catch (error) {
      if (!(error instanceof AlloySyntaxError)) throw error;
      context.err(error.message);
      return 2;
    }
    for (const warning of result.warnings) context.err(`warning: ${warning}`);
    for (const problem of checkConverted(result.yaml, result.referencePaths, context.factories)) {
      context.err(`warning: the converted config: ${problem}`);
    }
    context.out(result.yaml.trimEnd());
    if (result.converted === 0) {
      context.err("profcol convert: no component could be converted");
      return 1;
    }
    if (result.pipelines === 0) {
      context.err(
        "profcol convert: no pipeline: no pyroscope.scrape or pyroscope.receive_http forwards " +
          "(through forward_to) to a pyroscope.write, so the converted config would not run",
      );
      return 1;
    }
    return 0;
  },
};

/** The files one argument names: a file, every `*.alloy` of a directory, or stdin (`-`). */
async function readInputs(
  name: string,
  context: { readStdin?: () => Promise<string> },
): Promise<{ name: string; text: string }[]> {
  if (name === "-") {
    const text = await (context.readStdin ?? (() => new Response(Deno.stdin.readable).text()))();
    return [{ name: "<stdin>", text }];
  }
  if (!(await Deno.stat(name)).isDirectory) return [{ name, text: await Deno.readTextFile(name) }];
  const names: string[] = [];
  for await (const entry of Deno.readDir(name)) {
    if (entry.isFile && entry.name.endsWith(".alloy")) names.push(entry.name);
  }
  if (names.length === 0) throw new Error("the directory holds no *.alloy file");
  names.sort();
  return await Promise.all(names.map(async (file) => {
    const path = `${name.replace(/\/+$/, "")}/${file}`;
    return { name: path, text: await Deno.readTextFile(path) };
  }));
}

/**
 * What `validate` would say about the converted config, leaving out settings that hold
 * `${env:…}`/`${file:…}` references (their values are not known here).
 */
function checkConverted(
  yaml: string,
  referencePaths: ReadonlySet<string>,
  factories: ConstructorParameters<typeof Registry>[0],
): string[] {
  const skip = (path: readonly (string | number)[]) => {
    for (let n = path.length; n > 0; n--) {
      if (referencePaths.has(path.slice(0, n).map(String).join("\0"))) return true;
    }
    return false;
  };
  try {
    const config = loadAndValidate([CONVERTED], new Registry(factories), {
      readFile: (path) => (path === CONVERTED ? yaml : "1"),
      env: () => "1",
    });
    return config.warnings.filter((w) => !skip(w.path)).map(formatIssue);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.filter((i) => !skip(i.path)).map(formatIssue);
  }
}
