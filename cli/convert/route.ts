/**
 * `forward_to` chains as pipelines: for every receiver, each chain of processors (in Alloy,
 * components such as `pyroscope.relabel` that forward on) that ends at exporters (such as
 * `pyroscope.write`) is one pipeline — receivers → processors in chain order → exporters;
 * receivers with the same chain and exporters share a pipeline.
 *
 * @module
 */

import type { AlloyIndex, Component } from "./index.ts";
import { AlloySyntaxError } from "./parser.ts";
import type { ValueReader, Warn } from "./values.ts";

/** What the router knows of a converted component: its profcol id and kind. */
export interface Converted {
  readonly id: string;
  readonly kind: "receiver" | "processor" | "exporter";
}

interface Route {
  chain: string[];
  exporters: string[];
  receivers: string[];
}

/**
 * The `service.pipelines` of the converted components (`converted` by Alloy block);
 * `forwardTypes` are the Alloy types a `forward_to` may name (for messages).
 */
export function routePipelines(
  index: AlloyIndex,
  converted: ReadonlyMap<Component, Converted>,
  forwardTypes: readonly string[],
  values: ValueReader,
  warn: Warn,
): Record<string, unknown> {
  const name = (c: Component) => `${c.type} "${c.label}"`;
  const forwardTo = (c: Component): Component[] => {
    const forward = values.attribute(c.block, "forward_to");
    if (!forward) {
      if (converted.get(c)?.kind !== "exporter") warn(c.block.pos, `${name(c)} has no forward_to`);
      return [];
    }
    if (forward.value.kind !== "list") {
      warn(forward.value.pos, `${name(c)}.forward_to must be a list of receivers`);
      return [];
    }
    const out: Component[] = [];
    for (const item of forward.value.items) {
      const found = item.kind === "ref" ? index.resolve(item.path) : undefined;
      const target = found && converted.get(found.component);
      if (found && found.field === "receiver" && target && target.kind !== "receiver") {
        out.push(found.component);
        continue;
      }
      warn(
        item.pos,
        `${name(c)}.forward_to: ${
          item.kind === "ref" ? item.path.join(".") : "this value"
        } is not a ${oneOf(forwardTypes)} receiver of this config; not converted`,
      );
    }
    return out;
  };
  const hopCache = new Map<Component, Component[]>();
  const hops = (c: Component): Component[] => {
    let cached = hopCache.get(c);
    if (!cached) hopCache.set(c, cached = forwardTo(c));
    return cached;
  };

  const routes: Route[] = [];
  const nowhere = new Set<Component>();
  const idOf = (c: Component) => converted.get(c)!.id;
  for (const c of index.order) {
    if (converted.get(c)?.kind !== "receiver") continue;
    const byChain = new Map<string, { chain: string[]; exporters: string[] }>();
    const walk = (from: Component, chain: Component[]) => {
      const next = hops(from);
      if (next.length === 0 && converted.get(from)?.kind === "processor" && !nowhere.has(from)) {
        nowhere.add(from);
        warn(from.block.pos, `profiles through ${name(from)} go nowhere`);
      }
      for (const hop of next) {
        if (converted.get(hop)!.kind === "exporter") {
          const ids = chain.map(idOf);
          const key = ids.join(",");
          const entry = byChain.get(key) ?? { chain: ids, exporters: [] };
          if (!entry.exporters.includes(idOf(hop))) entry.exporters.push(idOf(hop));
          byChain.set(key, entry);
        } else {
          if (chain.includes(hop)) {
            throw new AlloySyntaxError(
              hop.block.pos,
              `forward_to makes a loop through ${name(hop)}`,
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
    let pipeline = "profiles";
    if (routes.length > 1) {
      const base = `profiles/${route.receivers[0]!.split("/")[1]}`;
      pipeline = base;
      if (pipeline in pipelines && route.chain.length > 0) {
        pipeline = `${base}_${route.chain.at(-1)!.split("/")[1]}`;
      }
      for (let n = 2; pipeline in pipelines; n++) pipeline = `${base}_${n}`;
    }
    pipelines[pipeline] = {
      receivers: route.receivers,
      ...(route.chain.length > 0 ? { processors: route.chain } : {}),
      exporters: route.exporters,
    };
  }
  return pipelines;
}

/** `a`, `a or b`, `a, b or c`. */
function oneOf(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}
