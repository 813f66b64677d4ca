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
 * @example
 * ```ts
 * import { convertAlloy } from "./convert.ts";
 * const result = convertAlloy([{
 *   name: "a.alloy",
 *   text: `pyroscope.scrape "app" {
 *   targets    = [{"__address__" = "127.0.0.1:6060", "service_name" = "app"}]
 *   forward_to = [pyroscope.write.out.receiver]
 * }
 * pyroscope.write "out" {
 *   endpoint { url = sys.env("PYROSCOPE_URL") }
 * }`,
 * }]);
 * result.config.service; // { pipelines: { profiles: { receivers: ["pyroscope.scrape/app"], exporters: ["pyroscope.write/out"] } } }
 * ```
 *
 * @module
 */

import { Document, isMap, isScalar, isSeq, type Pair, Scalar, visit, type YAMLMap } from "yaml";
import {
  AlloySyntaxError,
  type Block,
  type Expr,
  parseAlloy,
  type Position,
  type Statement,
} from "./parser.ts";
import { ALLOY_HINTS } from "../../core/config/validate.ts";

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
  /** YAML paths (joined with `\0`) whose value holds a `${env:…}` or `${file:…}` reference. */
  readonly referencePaths: ReadonlySet<string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Alloy component types and what they become. */
const MAPPED: Readonly<Record<string, { section: string; type: string }>> = {
  "pyroscope.scrape": { section: "receivers", type: "pyroscope.scrape" },
  "pyroscope.receive_http": { section: "receivers", type: "pyroscope.receive_http" },
  "pyroscope.relabel": { section: "processors", type: "relabel" },
  "pyroscope.write": { section: "exporters", type: "pyroscope.write" },
};
const DISCOVERY: Readonly<Record<string, { key: string; export: string }>> = {
  "discovery.kubernetes": { key: "kubernetes_sd_configs", export: "targets" },
  "discovery.file": { key: "file_sd_configs", export: "targets" },
  "discovery.http": { key: "http_sd_configs", export: "targets" },
  "discovery.relabel": { key: "relabel_configs", export: "output" },
};
/** Nested blocks that are lists in profcol even when written once. */
const LIST_BLOCKS = new Set(["endpoint", "rule", "selectors"]);

interface Component {
  readonly type: string;
  readonly label: string;
  readonly block: Block;
  readonly key: string;
  used: boolean;
}

interface TargetSources {
  targets: unknown[];
  file_sd_configs: unknown[];
  http_sd_configs: unknown[];
  kubernetes_sd_configs: unknown[];
  relabel_configs: unknown[];
}

const at = (p: Position) => `${p.file}:${p.line}`;

/** Escapes a literal string for profcol's `${…}` expansion. */
function literal(text: string): string {
  return text.replaceAll("${", () => "$${");
}

/** Converts `files` (merged as one config); throws {@linkcode AlloySyntaxError}. */
export function convertAlloy(files: readonly AlloyFile[]): ConvertResult {
  const statements: Statement[] = [];
  for (const file of files) statements.push(...parseAlloy(file.text, file.name));

  const warnings: string[] = [];
  const warn = (pos: Position, message: string) => warnings.push(`${at(pos)}: ${message}`);
  const comments: string[] = [];
  const comment = (block: Block, reason: string) => {
    warn(block.pos, reason);
    comments.push(
      "",
      ` ${at(block.pos)}: ${reason}`,
      ...block.source.split("\n").map((line) => ` ${line}`),
    );
  };

  // Every labelled component, by `type.label` (the prefix of its references).
  const components = new Map<string, Component>();
  const order: Component[] = [];
  let logging: Block | undefined;
  for (const statement of statements) {
    if (statement.kind === "attribute") {
      warn(statement.pos, `top-level attribute ${statement.name} is not converted`);
      continue;
    }
    if (statement.name === "logging" && statement.label === undefined) {
      logging = statement;
      continue;
    }
    if (statement.label === undefined) {
      order.push({ type: statement.name, label: "", block: statement, key: "", used: false });
      continue;
    }
    const key = `${statement.name}.${statement.label}`;
    const existing = components.get(key);
    if (existing) {
      throw new AlloySyntaxError(
        statement.pos,
        `${statement.name} "${statement.label}" is already defined at ${at(existing.block.pos)}`,
      );
    }
    const component: Component = {
      type: statement.name,
      label: statement.label,
      block: statement,
      key,
      used: false,
    };
    components.set(key, component);
    order.push(component);
  }

  /** The component a reference points into, and the export named. */
  const resolve = (
    path: readonly string[],
  ): { component: Component; field: string } | undefined => {
    for (let k = path.length - 1; k >= 2; k--) {
      const component = components.get(path.slice(0, k).join("."));
      if (component) return { component, field: path.slice(k).join(".") };
    }
    return undefined;
  };
  const idOf = (c: Component) => `${MAPPED[c.type]!.type}/${c.label}`;

  /** A value as profcol YAML wants it; `undefined` leaves the key out. */
  const value = (expr: Expr, where: string): unknown => {
    switch (expr.kind) {
      case "string":
        return literal(expr.value);
      case "number":
      case "bool":
        return expr.value;
      case "null":
        return undefined;
      case "list":
        return expr.items.map((item) => value(item, where)).filter((v) => v !== undefined);
      case "object": {
        const out: Record<string, unknown> = {};
        for (const entry of expr.entries) {
          const v = value(entry.value, `${where}.${entry.key}`);
          if (v !== undefined) out[entry.key] = v;
        }
        return out;
      }
      case "env":
        if (!ENV_NAME.test(expr.name)) {
          warn(expr.pos, `${where}: ${JSON.stringify(expr.name)} is not a valid variable name`);
        }
        return `\${env:${expr.name}}`;
      case "concat": {
        let text = "";
        for (const part of expr.parts) {
          const v = value(part, where);
          if (typeof v === "number") text += String(v);
          else if (typeof v === "string") text += v;
          else {
            throw new AlloySyntaxError(
              part.pos,
              `${where}: only strings, numbers and sys.env() can be joined with +`,
            );
          }
        }
        return text;
      }
      case "ref": {
        const found = resolve(expr.path);
        if (found && found.component.type === "local.file" && found.field === "content") {
          found.component.used = true;
          const filename = found.component.block.body.find((s) =>
            s.kind === "attribute" && s.name === "filename"
          );
          const path = filename?.kind === "attribute" ? value(filename.value, where) : undefined;
          if (typeof path === "string") return `\${file:${path}}`;
        }
        warn(
          expr.pos,
          `${where}: the reference ${expr.path.join(".")} cannot be converted; left out`,
        );
        return undefined;
      }
    }
  };

  /** A block body as a map: attributes, nested blocks (lists when repeated or listed). */
  const body = (
    statements: readonly Statement[],
    where: string,
    skip: ReadonlySet<string> = new Set(),
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const counts = new Map<string, number>();
    for (const s of statements) {
      if (s.kind === "block" && s.label === undefined) {
        counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
      }
    }
    for (const s of statements) {
      if (skip.has(s.name)) continue;
      if (s.kind === "attribute") {
        if (s.name in out) warn(s.pos, `${where}.${s.name} is set twice; the last one is kept`);
        const v = value(s.value, `${where}.${s.name}`);
        if (v !== undefined) out[s.name] = v;
        continue;
      }
      const inner = body(s.body, `${where}.${s.name}`);
      if (s.label !== undefined) {
        const map = (out[s.name] ??= {}) as Record<string, unknown>;
        map[s.label] = inner;
      } else if (LIST_BLOCKS.has(s.name) || (counts.get(s.name) ?? 0) > 1) {
        ((out[s.name] ??= []) as unknown[]).push(inner);
      } else {
        out[s.name] = inner;
      }
    }
    return out;
  };

  const attribute = (block: Block, name: string) =>
    block.body.find((s): s is Extract<Statement, { kind: "attribute" }> =>
      s.kind === "attribute" && s.name === name
    );

  /** Follows a `targets` value through discovery components. */
  const targetSources = (expr: Expr, where: string, seen: Set<string>): TargetSources => {
    const sources: TargetSources = {
      targets: [],
      file_sd_configs: [],
      http_sd_configs: [],
      kubernetes_sd_configs: [],
      relabel_configs: [],
    };
    if (expr.kind === "list") {
      for (const item of expr.items) {
        if (item.kind !== "object") {
          warn(item.pos, `${where}: a target must be an object of labels; left out`);
          continue;
        }
        sources.targets.push(value(item, where));
      }
      return sources;
    }
    if (expr.kind !== "ref") {
      warn(expr.pos, `${where} must be a list of targets or a discovery component's export`);
      return sources;
    }
    const found = resolve(expr.path);
    const discovery = found && DISCOVERY[found.component.type];
    if (!found || !discovery || found.field !== discovery.export) {
      warn(
        expr.pos,
        `${where}: ${expr.path.join(".")} cannot be converted (profcol discovers targets from ` +
          `static lists, discovery.file, discovery.http, discovery.kubernetes and ` +
          `discovery.relabel); no targets from it`,
      );
      return sources;
    }
    const { component } = found;
    component.used = true;
    const name = `${component.type} "${component.label}"`;
    if (component.type !== "discovery.relabel") {
      (sources[discovery.key as keyof TargetSources] as unknown[]).push(
        body(component.block.body, name),
      );
      return sources;
    }
    if (seen.has(component.key)) {
      throw new AlloySyntaxError(component.block.pos, `${name} refers to itself through targets`);
    }
    const input = attribute(component.block, "targets");
    if (!input) {
      warn(component.block.pos, `${name} has no targets`);
      return sources;
    }
    const inner = targetSources(input.value, `${name}.targets`, new Set([...seen, component.key]));
    const rules = body(component.block.body, name, new Set(["targets"])).rule ?? [];
    inner.relabel_configs.push(...(rules as unknown[]));
    return inner;
  };

  const sections: Record<string, Record<string, unknown>> = {
    receivers: {},
    processors: {},
    exporters: {},
  };
  const origins = new Map<string, string>();
  for (const c of order) {
    const mapped = MAPPED[c.type];
    if (!mapped || c.label === "") continue;
    const id = idOf(c);
    const name = `${c.type} "${c.label}"`;
    let config: Record<string, unknown>;
    if (c.type === "pyroscope.scrape") {
      config = body(c.block.body, name, new Set(["forward_to", "targets", "clustering"]));
      const clustering = c.block.body.find((s) => s.kind === "block" && s.name === "clustering");
      if (clustering?.kind === "block") {
        const enabled = body(clustering.body, `${name}.clustering`).enabled;
        if (enabled === true) {
          // Peers come from the Kubernetes API (the replicas' Service), not Alloy's gossip.
          config.clustering = {
            enabled: true,
            service: "${env:PROFCOL_CLUSTER_SERVICE}",
            self_address: "${env:POD_IP}",
          };
          warn(
            clustering.pos,
            `${name}: clustering finds its peers through the Kubernetes API: set ` +
              `PROFCOL_CLUSTER_SERVICE to the replicas' Service and POD_IP from the downward API ` +
              `(the Helm chart's sharded mode does)`,
          );
        }
      }
      const targets = attribute(c.block, "targets");
      if (targets) {
        const sources = targetSources(targets.value, `${name}.targets`, new Set());
        const ordered: Record<string, unknown> = {};
        for (const [key, list] of Object.entries(sources)) {
          if (list.length > 0) ordered[key] = list;
        }
        config = { ...ordered, ...config };
      } else {
        warn(c.block.pos, `${name} has no targets`);
      }
    } else if (c.type === "pyroscope.receive_http") {
      config = body(c.block.body, name, new Set(["forward_to"]));
      const http = config.http as Record<string, unknown> | undefined;
      if (http && "tls" in http) {
        const { tls, ...rest } = http;
        config.http = rest;
        config.tls = tls;
      }
      config.tenant = { enabled: false };
    } else {
      config = body(c.block.body, name, new Set(["forward_to"]));
    }
    c.used = true;
    sections[mapped.section]![id] = config;
    origins.set(id, `${at(c.block.pos)} ${name}`);
  }

  // forward_to → the next hops of each component (warnings once per component).
  const hopCache = new Map<Component, Component[]>();
  const hops = (c: Component): Component[] => {
    let cached = hopCache.get(c);
    if (!cached) hopCache.set(c, cached = forwardTo(c));
    return cached;
  };
  const forwardTo = (c: Component): Component[] => {
    const forward = attribute(c.block, "forward_to");
    const name = `${c.type} "${c.label}"`;
    if (!forward) {
      if (c.type !== "pyroscope.write") warn(c.block.pos, `${name} has no forward_to`);
      return [];
    }
    if (forward.value.kind !== "list") {
      warn(forward.value.pos, `${name}.forward_to must be a list of receivers`);
      return [];
    }
    const out: Component[] = [];
    for (const item of forward.value.items) {
      const found = item.kind === "ref" ? resolve(item.path) : undefined;
      const type = found?.component.type;
      if (
        found && found.field === "receiver" &&
        (type === "pyroscope.write" || type === "pyroscope.relabel")
      ) {
        out.push(found.component);
        continue;
      }
      warn(
        item.pos,
        `${name}.forward_to: ${
          item.kind === "ref" ? item.path.join(".") : "this value"
        } is not a pyroscope.write or pyroscope.relabel receiver of this config; not converted`,
      );
    }
    return out;
  };

  // Each receiver's paths: chain of relabel processors → exporter.
  interface Route {
    chain: string[];
    exporters: string[];
    receivers: string[];
  }
  const routes: Route[] = [];
  const nowhere = new Set<Component>();
  for (const c of order) {
    if (c.type !== "pyroscope.scrape" && c.type !== "pyroscope.receive_http") continue;
    const byChain = new Map<string, { chain: string[]; exporters: string[] }>();
    const walk = (from: Component, chain: Component[]) => {
      const next = hops(from);
      if (next.length === 0 && from.type === "pyroscope.relabel" && !nowhere.has(from)) {
        nowhere.add(from);
        warn(from.block.pos, `profiles through pyroscope.relabel "${from.label}" go nowhere`);
      }
      for (const hop of next) {
        if (hop.type === "pyroscope.write") {
          const ids = chain.map(idOf);
          const key = ids.join(",");
          const entry = byChain.get(key) ?? { chain: ids, exporters: [] };
          if (!entry.exporters.includes(idOf(hop))) entry.exporters.push(idOf(hop));
          byChain.set(key, entry);
        } else {
          if (chain.includes(hop)) {
            throw new AlloySyntaxError(
              hop.block.pos,
              `forward_to makes a loop through pyroscope.relabel "${hop.label}"`,
            );
          }
          walk(hop, [...chain, hop]);
        }
      }
    };
    walk(c, []);
    for (const { chain, exporters } of byChain.values()) {
      const same = routes.find((r) =>
        r.chain.join(",") === chain.join(",") && r.exporters.join(",") === exporters.join(",")
      );
      if (same) same.receivers.push(idOf(c));
      else routes.push({ chain, exporters, receivers: [idOf(c)] });
    }
  }

  const pipelines: Record<string, unknown> = {};
  for (const route of routes) {
    let name = "profiles";
    if (routes.length > 1) {
      const base = `profiles/${route.receivers[0]!.split("/")[1]}`;
      name = base;
      if (name in pipelines && route.chain.length > 0) {
        name = `${base}_${route.chain.at(-1)!.split("/")[1]}`;
      }
      for (let n = 2; name in pipelines; n++) name = `${base}_${n}`;
    }
    pipelines[name] = {
      receivers: route.receivers,
      ...(route.chain.length > 0 ? { processors: route.chain } : {}),
      exporters: route.exporters,
    };
  }

  const service: Record<string, unknown> = { pipelines };
  if (logging) {
    const logs = body(logging.body, "logging", new Set(["write_to"]));
    if (attribute(logging, "write_to")) {
      warn(logging.pos, "logging.write_to is not converted; profcol logs to stderr");
    }
    if (Object.keys(logs).length > 0) service.telemetry = { logs };
  }

  for (const c of order) {
    if (c.used) continue;
    const name = c.label === "" ? c.type : `${c.type} "${c.label}"`;
    if (DISCOVERY[c.type]) {
      comment(c.block, `${name} is not converted: no pyroscope.scrape uses its targets`);
    } else if (c.type === "local.file") {
      comment(c.block, `${name} is not converted: nothing converted refers to it`);
    } else {
      comment(c.block, `${name} is not converted: ${unsupportedReason(c.type)}`);
    }
  }

  const config: Record<string, unknown> = {};
  let converted = 0;
  for (const [section, entries] of Object.entries(sections)) {
    const count = Object.keys(entries).length;
    converted += count;
    if (count > 0) config[section] = entries;
  }
  config.service = service;

  const referencePaths = new Set<string>();
  const collect = (v: unknown, path: string[]) => {
    if (typeof v === "string" && /(^|[^$])\$\{(env|file):/.test(v)) {
      referencePaths.add(path.join("\0"));
    } else if (Array.isArray(v)) v.forEach((item, i) => collect(item, [...path, String(i)]));
    else if (v && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) collect(item, [...path, k]);
    }
  };
  collect(config, []);

  return {
    yaml: render(config, files.map((f) => f.name), origins, comments),
    config,
    warnings,
    converted,
    referencePaths,
  };
}

function unsupportedReason(type: string): string {
  const hint = ALLOY_HINTS[type];
  if (hint && type.startsWith("pyroscope.")) {
    return hint.replace(/^Alloy's \S+ is not supported; /, "");
  }
  if (type.startsWith("pyroscope.")) return "profcol has no such component";
  if (type.startsWith("discovery.")) {
    return "profcol discovers targets from static lists, files, HTTP and Kubernetes only";
  }
  return "profcol collects profiles only (pyroscope.* components)";
}

function render(
  config: Record<string, unknown>,
  files: readonly string[],
  origins: ReadonlyMap<string, string>,
  comments: readonly string[],
): string {
  const doc = new Document(config);
  doc.commentBefore = ` Converted from ${files.join(", ")} by profcol convert --from=alloy.\n` +
    " Check it with: profcol validate FILE";
  for (const section of ["receivers", "processors", "exporters"]) {
    const map = doc.get(section, true) as YAMLMap | undefined;
    if (!map) continue;
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const origin = origins.get(String(pair.key.value));
      if (origin) pair.key.commentBefore = ` ${origin}`;
      if (!isMap(pair.value)) continue;
      for (const inner of pair.value.items) {
        if (isScalar(inner.key) && inner.key.value === "tenant") {
          inner.key.commentBefore =
            " Alloy drops X-Scope-OrgID; remove this to pass tenants on to pyroscope.write";
        }
        if (isScalar(inner.key) && inner.key.value === "targets") flowItems(inner);
      }
    }
  }
  const pipelines = doc.getIn(["service", "pipelines"], true) as YAMLMap | undefined;
  for (const pipeline of pipelines?.items ?? []) {
    if (!isMap(pipeline.value)) continue;
    for (const list of pipeline.value.items) {
      if (isSeq(list.value)) list.value.flow = true;
    }
  }
  if (comments.length > 0) doc.comment = ` Not converted:${comments.join("\n")}`;
  visit(doc, {
    Seq(_key, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    },
    Scalar(_key, node) {
      if (typeof node.value === "string" && node.value.includes("${")) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Writes each target of a `targets` list on one line. */
function flowItems(pair: Pair): void {
  const list = pair.value as { items?: unknown[] } | undefined;
  for (const item of list?.items ?? []) {
    if (isMap(item)) item.flow = true;
  }
}
