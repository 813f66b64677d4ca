/**
 * A pprof profile as the compact call tree the flame graph draws: a names table and the nodes
 * in pre-order (each node's subtree follows it), each with its name index, parent index, self
 * and total for one sample type. Children are sorted by name, as flame graphs are.
 *
 * Frames are named by function; anonymous functions by their file and line, so different ones
 * do not merge.
 *
 * Nodes whose total is below `minFraction` of the whole are left out (their time still counts
 * in their parent's total), so a huge profile stays a small answer.
 *
 * @module
 */

import { gunzipIfNeeded } from "../../../pprof/gzip.ts";
import { decodeProfile, type Profile } from "../../../pprof/profile.ts";

/** What `/api/v1/profiles/<id>/flame` answers. */
export interface FlameTree {
  /** Every sample type as `type/unit`. */
  readonly sample_types: readonly string[];
  /** The index drawn. */
  readonly sample_type: number;
  readonly unit: string;
  readonly names: readonly string[];
  /** Per node, in pre-order: index into `names` (node 0 is the root, name `total`). */
  readonly name: readonly number[];
  /** Index of the parent node (-1 for the root). */
  readonly parent: readonly number[];
  readonly self: readonly number[];
  readonly total: readonly number[];
  /** Nodes left out for being too small. */
  readonly hidden: number;
  readonly time_nanos: number;
  readonly duration_nanos: number;
}

/** Options of {@linkcode flameTree}. */
export interface FlameOptions {
  /** Which sample type; default: the profile's default sample type, else the last one. */
  readonly sampleType?: number;
  /** Nodes smaller than this fraction of the total are left out (default 1/5000). */
  readonly minFraction?: number;
  /** Decompression limit (default 64 MiB). */
  readonly maxBytes?: number;
}

function str(p: Profile, index: number): string {
  return p.stringTable[index] ?? "";
}

/** Decodes `bytes` (pprof, gzipped or not) into a {@linkcode FlameTree}. Throws on bad input. */
export function flameTree(bytes: Uint8Array, options: FlameOptions = {}): FlameTree {
  const profile = decodeProfile(gunzipIfNeeded(bytes, options.maxBytes ?? 64 * 1024 * 1024));
  const types = profile.sampleType.map((t) => `${str(profile, t.type)}/${str(profile, t.unit)}`);
  let which = options.sampleType ?? -1;
  if (which < 0 || which >= types.length) {
    const byDefault = profile.defaultSampleType
      ? profile.sampleType.findIndex((t) => t.type === profile.defaultSampleType)
      : -1;
    which = byDefault >= 0 ? byDefault : types.length - 1;
  }
  // Frame names of each location, root-most first (a location's last line is the caller).
  const functions = new Map(profile.function.map((f) => [f.id, f]));
  const names: string[] = ["total"];
  const nameIndex = new Map<string, number>([["total", 0]]);
  const intern = (name: string): number => {
    let index = nameIndex.get(name);
    if (index === undefined) nameIndex.set(name, index = names.push(name) - 1);
    return index;
  };
  const frames = new Map<number, number[]>();
  for (const location of profile.location) {
    const out: number[] = [];
    for (let i = location.line.length - 1; i >= 0; i--) {
      const line = location.line[i]!;
      const fn = functions.get(line.functionId);
      let name = fn ? str(profile, fn.name) : "";
      if (name === "" || name === "(anonymous)") {
        // Anonymous functions of different places must not merge into one frame.
        const file = fn ? str(profile, fn.filename).split("/").pop() : "";
        name = file ? `(anonymous) ${file}:${line.line || fn!.startLine}` : "(unknown)";
      }
      out.push(intern(name));
    }
    if (out.length === 0) out.push(intern(`0x${location.address.toString(16)}`));
    frames.set(location.id, out);
  }
  // The full tree: children by name index.
  const childMaps: Map<number, number>[] = [new Map()];
  const nodeName: number[] = [0];
  const self: number[] = [0];
  const total: number[] = [0];
  if (which >= 0) {
    for (const sample of profile.sample) {
      const value = sample.value[which] ?? 0;
      if (value === 0) continue;
      let node = 0;
      total[0]! += value;
      for (let i = sample.locationId.length - 1; i >= 0; i--) {
        for (const name of frames.get(sample.locationId[i]!) ?? []) {
          const children = childMaps[node]!;
          let child = children.get(name);
          if (child === undefined) {
            child = nodeName.push(name) - 1;
            childMaps.push(new Map());
            self.push(0);
            total.push(0);
            children.set(name, child);
          }
          node = child;
          total[node]! += value;
        }
      }
      self[node]! += value;
    }
  }
  // Pre-order output without the small nodes.
  const min = Math.abs(total[0]!) * (options.minFraction ?? 1 / 5000);
  const out = {
    name: [] as number[],
    parent: [] as number[],
    self: [] as number[],
    total: [] as number[],
  };
  let hidden = 0;
  const stack: [node: number, parent: number][] = [[0, -1]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    const index = out.name.push(nodeName[node]!) - 1;
    out.parent.push(parent);
    out.self.push(self[node]!);
    out.total.push(total[node]!);
    const children = [...childMaps[node]!.values()].sort((a, b) => {
      const x = names[nodeName[a]!]!, y = names[nodeName[b]!]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      if (Math.abs(total[child]!) < min) hidden++;
      else stack.push([child, index]);
    }
  }
  return {
    sample_types: types,
    sample_type: which,
    unit: types[which]?.split("/")[1] ?? "",
    names,
    ...out,
    hidden,
    time_nanos: profile.timeNanos,
    duration_nanos: profile.durationNanos,
  };
}
