/**
 * A tiny flag parser for the subcommands: `--name value`, `--name=value`, repeatable string
 * flags and boolean flags. Anything unknown is a {@linkcode UsageError} (exit status 2).
 *
 * @module
 */

/** Wrong usage of the command line; printed with the subcommand's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What a subcommand accepts. */
export interface FlagSpec {
  /** String flags; values of a repeated flag are collected in order. */
  readonly strings?: readonly string[];
  readonly booleans?: readonly string[];
  /** Short aliases, e.g. `{ c: "config", h: "help" }`. */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** Parsed flags. */
export interface ParsedFlags {
  readonly strings: ReadonlyMap<string, readonly string[]>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** Parses `args` against `spec`; throws {@linkcode UsageError}. */
export function parseFlags(args: readonly string[], spec: FlagSpec): ParsedFlags {
  const strings = new Map<string, string[]>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    let name = eq < 0 ? body : body.slice(0, eq);
    name = spec.aliases?.[name] ?? name;
    if (spec.booleans?.includes(name)) {
      if (eq >= 0) throw new UsageError(`flag --${name} takes no value`);
      booleans.add(name);
      continue;
    }
    if (spec.strings?.includes(name)) {
      let value: string | undefined;
      if (eq >= 0) value = body.slice(eq + 1);
      else value = args[++i];
      if (value === undefined || value === "") {
        throw new UsageError(`flag --${name} needs a value`);
      }
      const list = strings.get(name) ?? [];
      list.push(value);
      strings.set(name, list);
      continue;
    }
    throw new UsageError(`unknown flag ${arg}`);
  }
  return { strings, booleans, positionals };
}
