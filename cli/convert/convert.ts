/**
 * Converts Grafana Alloy configuration files into a profcol config.
 *
 * - `pyroscope.scrape`, `pyroscope.receive_http` become receivers, `pyroscope.relabel` the
 *   `relabel` processor, `pyroscope.write` the exporter, each with id `type/label` and its
 *   arguments as written (Alloy's names are profcol's; `receive_http`'s `http > tls` block moves
 *   up to `tls`).
 * - `forward_to` chains become pipelines: for every receiver, each chain of `pyroscope.relabel`
 *   components that ends at `pyroscope.write` components is one pipeline (receivers → relabel
 *   processors in chain order → exporters); receivers with the same chain and exporters share
 *   a pipeline.
 * - `targets` that refer to `discovery.kubernetes` / `discovery.file` / `discovery.http` become
 *   `kubernetes_sd_configs` / `file_sd_configs` / `http_sd_configs` of the scrape receiver, and
 *   `discovery.relabel` rules on the way become its `relabel_configs` (innermost first).
 * - `sys.env("X")` becomes `"${env:X}"`, `local.file.x.content` becomes `"${file:PATH}"`;
 *   nothing is read from the environment. A literal `${` is written `$${`.
 * - Components profcol does not have become comments in the output and warnings.
 *
 * The converter knows no component by name: each factory's `alloy` mapping (next to the
 * factory, see `core/alloy.ts`) says which Alloy type it replaces and converts its blocks. The
 * stages are: index (`index.ts`: blocks by `type.label`), convert (each block through its
 * component's mapping, with `values.ts` and `targets.ts`), route (`route.ts`: `forward_to`
 * chains into pipelines) and emit (`emit.ts`: commented YAML).
 *
 * @example
 * ```ts
 * import { convertAlloy } from "./convert.ts";
 * import { builtinFactories } from "../../components.ts";
 * const result = convertAlloy([{
 *   name: "a.alloy",
 *   text: `pyroscope.scrape "app" {
 *   targets    = [{"__address__" = "127.0.0.1:6060", "service_name" = "app"}]
 *   forward_to = [pyroscope.write.out.receiver]
 * }
 * pyroscope.write "out" {
 *   endpoint { url = sys.env("PYROSCOPE_URL") }
 * }`,
 * }], builtinFactories);
 * result.config.service; // { pipelines: { profiles: { receivers: ["pyroscope.scrape/app"], exporters: ["pyroscope.write/out"] } } }
 * ```
 *
 * @module
 */

import { type AlloyBlock, alloyHints } from "../../core/alloy.ts";
import type { Factory } from "../../core/component.ts";
import { emitYaml, referencePaths } from "./emit.ts";
import { type Component, indexStatements } from "./index.ts";
import { parseAlloy, type Position, type Statement } from "./parser.ts";
import { type Converted, routePipelines } from "./route.ts";
import { DISCOVERY, TargetReader } from "./targets.ts";
import { at, ValueReader } from "./values.ts";

/** One input file. */
export interface AlloyFile {
  readonly name: string;
  readonly text: string;
}

/** The outcome of {@linkcode convertAlloy}. */
export interface ConvertResult {
  /** The profcol config as YAML, with comments. */
  readonly yaml: string;
  /** The same config as a value. */
  readonly config: Record<string, unknown>;
  /** `file:line: …` lines for stderr. */
  readonly warnings: string[];
  /** Components written to the config. */
  readonly converted: number;
  /** Pipelines written to the config. */
  readonly pipelines: number;
  /** YAML paths (joined with `\0`) whose value holds a `${env:…}` or `${file:…}` reference. */
  readonly referencePaths: ReadonlySet<string>;
}

const SECTION = { receiver: "receivers", processor: "processors", exporter: "exporters" } as const;

/**
 * Converts `files` (merged as one config) with the Alloy mappings of `factories`; throws
 * {@linkcode AlloySyntaxError}.
 */
export function convertAlloy(
  files: readonly AlloyFile[],
  factories: readonly Factory[],
): ConvertResult {
  const statements: Statement[] = [];
  for (const file of files) statements.push(...parseAlloy(file.text, file.name));

  const warnings: string[] = [];
  const warn = (pos: Position, message: string) => warnings.push(`${at(pos)}: ${message}`);
  const comments: string[] = [];
  const comment = (c: Component, reason: string) => {
    warn(c.block.pos, reason);
    comments.push(
      "",
      ` ${at(c.block.pos)}: ${reason}`,
      ...c.block.source.split("\n").map((line) => ` ${line}`),
    );
  };

  // Stage 1: index.
  const index = indexStatements(statements, warn);
  const values = new ValueReader(index, warn);
  const targets = new TargetReader(index, values, warn);

  // Stage 2: convert each block through its component's mapping.
  const byAlloyType = new Map(
    factories.filter((f) => f.alloy).map((f) => [f.alloy!.type, f] as const),
  );
  const sections: Record<string, Record<string, unknown>> = {
    receivers: {},
    processors: {},
    exporters: {},
  };
  const origins = new Map<string, string>();
  const converted = new Map<Component, Converted>();
  for (const c of index.order) {
    const factory = byAlloyType.get(c.type);
    if (!factory || c.label === "") continue;
    const id = `${factory.type}/${c.label}`;
    const name = `${c.type} "${c.label}"`;
    sections[SECTION[factory.kind]]![id] = factory.alloy!.convert(
      blockView(c, name, values, targets, warn),
    );
    c.used = true;
    converted.set(c, { id, kind: factory.kind });
    origins.set(id, `${at(c.block.pos)} ${name}`);
  }

  // Stage 3: route forward_to chains into pipelines.
  const forwardTypes = [
    ...factories.filter((f) => f.kind === "exporter"),
    ...factories.filter((f) => f.kind === "processor"),
  ].flatMap((f) => f.alloy ? [f.alloy.type] : []);
  const pipelines = routePipelines(index, converted, forwardTypes, values, warn);
  const service: Record<string, unknown> = { pipelines };
  if (index.logging) {
    const logs = values.body(index.logging.body, "logging", new Set(["write_to"]));
    if (values.attribute(index.logging, "write_to")) {
      warn(index.logging.pos, "logging.write_to is not converted; profcol logs to stderr");
    }
    if (Object.keys(logs).length > 0) service.telemetry = { logs };
  }

  const hints = alloyHints(factories);
  for (const c of index.order) {
    if (c.used) continue;
    const name = c.label === "" ? c.type : `${c.type} "${c.label}"`;
    if (DISCOVERY[c.type]) {
      comment(c, `${name} is not converted: no pyroscope.scrape uses its targets`);
    } else if (c.type === "local.file") {
      comment(c, `${name} is not converted: nothing converted refers to it`);
    } else if (c.type.startsWith("remote.")) {
      comment(
        c,
        `${name} is not converted: profcol reads no remote or Kubernetes secrets at run time ` +
          "(mount it as a file and refer to it as ${file:PATH})",
      );
    } else {
      comment(c, `${name} is not converted: ${unsupportedReason(c.type, hints)}`);
    }
  }

  // Stage 4: emit.
  const config: Record<string, unknown> = {};
  let count = 0;
  for (const [section, entries] of Object.entries(sections)) {
    const n = Object.keys(entries).length;
    count += n;
    if (n > 0) config[section] = entries;
  }
  config.service = service;
  return {
    yaml: emitYaml(config, files.map((f) => f.name), origins, comments),
    config,
    warnings,
    converted: count,
    pipelines: Object.keys(pipelines).length,
    referencePaths: referencePaths(config),
  };
}

/** The {@linkcode AlloyBlock} a component's mapping converts. */
function blockView(
  c: Component,
  name: string,
  values: ValueReader,
  targets: TargetReader,
  warn: (pos: Position, message: string) => void,
): AlloyBlock {
  return {
    name,
    body: (skip = []) => values.body(c.block.body, name, new Set([...skip, "forward_to"])),
    block(nested) {
      const found = values.nested(c.block, nested);
      return found ? values.body(found.body, `${name}.${nested}`) : undefined;
    },
    targets() {
      const attribute = values.attribute(c.block, "targets");
      if (!attribute) return undefined;
      const sources = targets.sources(attribute.value, `${name}.targets`);
      return Object.fromEntries(Object.entries(sources).filter(([, list]) => list.length > 0));
    },
    warn(message, nested) {
      const at = nested &&
        (values.nested(c.block, nested)?.pos ?? values.attribute(c.block, nested)?.pos);
      warn(at || c.block.pos, message);
    },
  };
}

function unsupportedReason(type: string, hints: Readonly<Record<string, string>>): string {
  const hint = hints[type];
  if (hint && type.startsWith("pyroscope.")) {
    return hint.replace(/^Alloy's \S+ is not supported; /, "");
  }
  if (type.startsWith("pyroscope.")) return "profcol has no such component";
  if (type.startsWith("discovery.")) {
    return "profcol discovers targets from static lists, files, HTTP and Kubernetes only";
  }
  return "profcol collects profiles only (pyroscope.* components)";
}
