/**
 * `profcol components`: every registered component type with kind, stability, description.
 *
 * @module
 */

import { Registry } from "../core/registry.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { Subcommand } from "./mod.ts";

/** The `components` subcommand. */
export const componentsCommand: Subcommand = {
  name: "components",
  summary: "List every component type with its kind and stability",
  usage: [
    "Usage: profcol components [--json]",
    "",
    "Lists receivers, processors and exporters built into this binary.",
    "",
    "Flags:",
    "  --json  Print a JSON array of {type, kind, stability, description}",
  ].join("\n"),
  run(args, context) {
    const flags = parseFlags(args, { booleans: ["json"] });
    if (flags.positionals.length > 0) {
      throw new UsageError(`unexpected argument "${flags.positionals[0]}"`);
    }
    const rows = new Registry(context.factories).list().map((f) => ({
      type: f.type,
      kind: f.kind,
      stability: f.stability,
      description: f.description,
    }));
    if (flags.booleans.has("json")) {
      context.out(JSON.stringify(rows, null, 2));
      return Promise.resolve(0);
    }
    const header = {
      type: "TYPE",
      kind: "KIND",
      stability: "STABILITY",
      description: "DESCRIPTION",
    };
    const all = [header, ...rows];
    const width = (key: "type" | "kind" | "stability") =>
      Math.max(...all.map((row) => row[key].length));
    for (const row of all) {
      context.out(
        `${row.type.padEnd(width("type"))}  ${row.kind.padEnd(width("kind"))}  ${
          row.stability.padEnd(width("stability"))
        }  ${row.description}`.trimEnd(),
      );
    }
    return Promise.resolve(0);
  },
};
