/**
 * Follows a scrape's `targets` through discovery components: static target lists stay as
 * they are; `discovery.kubernetes` / `file` / `http` become the scrape's `*_sd_configs`, and
 * `discovery.relabel` rules on the way its `relabel_configs` (innermost first).
 *
 * @module
 */

import type { AlloyIndex } from "./index.ts";
import { AlloySyntaxError, type Expr } from "./parser.ts";
import type { ValueReader, Warn } from "./values.ts";

/** Discovery components and the profcol list each becomes. */
export const DISCOVERY: Readonly<Record<string, { key: string; export: string }>> = {
  "discovery.kubernetes": { key: "kubernetes_sd_configs", export: "targets" },
  "discovery.file": { key: "file_sd_configs", export: "targets" },
  "discovery.http": { key: "http_sd_configs", export: "targets" },
  "discovery.relabel": { key: "relabel_configs", export: "output" },
};

/** What one `targets` value collects, in the order the scrape receiver's config lists them. */
export interface TargetSources {
  targets: unknown[];
  file_sd_configs: unknown[];
  http_sd_configs: unknown[];
  kubernetes_sd_configs: unknown[];
  relabel_configs: unknown[];
}

/** Reads `targets` values of one set of indexed files. */
export class TargetReader {
  constructor(
    private readonly index: AlloyIndex,
    private readonly values: ValueReader,
    private readonly warn: Warn,
  ) {}

  /** Where `expr` (a `targets` value) leads; `seen` guards against relabel loops. */
  sources(expr: Expr, where: string, seen: ReadonlySet<string> = new Set()): TargetSources {
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
          this.warn(item.pos, `${where}: a target must be an object of labels; left out`);
          continue;
        }
        sources.targets.push(this.values.value(item, where));
      }
      return sources;
    }
    if (expr.kind !== "ref") {
      this.warn(expr.pos, `${where} must be a list of targets or a discovery component's export`);
      return sources;
    }
    const found = this.index.resolve(expr.path);
    const discovery = found && DISCOVERY[found.component.type];
    if (!found || !discovery || found.field !== discovery.export) {
      this.warn(
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
        this.values.body(component.block.body, name),
      );
      return sources;
    }
    if (seen.has(component.key)) {
      throw new AlloySyntaxError(component.block.pos, `${name} refers to itself through targets`);
    }
    const input = this.values.attribute(component.block, "targets");
    if (!input) {
      this.warn(component.block.pos, `${name} has no targets`);
      return sources;
    }
    const inner = this.sources(input.value, `${name}.targets`, new Set([...seen, component.key]));
    const rules = this.values.body(component.block.body, name, new Set(["targets"])).rule ?? [];
    inner.relabel_configs.push(...(rules as unknown[]));
    return inner;
  }
}
