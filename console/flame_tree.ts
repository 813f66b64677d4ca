/**
 * pprof profiles as the compact call tree the flame graph draws: a names table and the nodes
 * in pre-order (each node's subtree follows it), each with its name index, parent index, self
 * and total for one sample type. Children are sorted by name, as flame graphs are.
 *
 * One profile ({@linkcode flameTree}), several merged by stack ({@linkcode mergeFlame}: the
 * profiles of a series over a time range), or two such merges side by side
 * ({@linkcode diffFlame}: baseline and comparison on one tree, each node with both values).
 * Profiles are decoded one at a time and folded into the tree, so what a request holds is the
 * tree and one decoded profile.
 *
 * Frames are named by function; anonymous functions by their file and line, so different ones
 * do not merge. Sample types are matched across profiles by `type/unit`.
 *
 * Nodes whose total is below `minFraction` of the whole are left out (their time still counts
 * in their parent's total), so a huge profile stays a small answer.
 *
 * @module
 */

import { gunzipIfNeeded } from "../pprof/gzip.ts";
import { decodeProfile, type Profile } from "../pprof/profile.ts";

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
  /** Time of the oldest profile merged. */
  readonly time_nanos: number;
  /** Sum of the durations of the profiles merged. */
  readonly duration_nanos: number;
  /** Profiles merged into this tree. */
  readonly profiles: number;
  /** Profiles given but not merged: undecodable, or without the chosen sample type. */
  readonly skipped: number;
}

/** What `/api/v1/profiles/<id>/diff` answers: one tree, each node valued in both ranges. */
export interface DiffTree extends FlameTree {
  /** Self and total of each node in the baseline (`self`/`total` are the comparison's). */
  readonly base_self: readonly number[];
  readonly base_total: readonly number[];
  /** Profiles merged into the baseline, and those skipped. */
  readonly base_profiles: number;
  readonly base_skipped: number;
}

/** Options of {@linkcode flameTree}, {@linkcode mergeFlame} and {@linkcode diffFlame}. */
export interface FlameOptions {
  /**
   * Which sample type, as an index into the first decodable profile's types; default: its
   * default sample type, else the last one.
   */
  readonly sampleType?: number;
  /** Nodes smaller than this fraction of the total are left out (default 1/5000). */
  readonly minFraction?: number;
  /** Decompression limit per profile (default 64 MiB). */
  readonly maxBytes?: number;
}

function str(p: Profile, index: number): string {
  return p.stringTable[index] ?? "";
}

/**
 * The call tree being built: one node structure, `sides` value arrays (1 for a flame graph,
 * 2 for a diff: baseline and comparison).
 */
class StackTree {
  readonly names: string[] = ["total"];
  readonly #nameIndex = new Map<string, number>([["total", 0]]);
  readonly childMaps: Map<number, number>[] = [new Map()];
  readonly nodeName: number[] = [0];
  readonly self: number[][];
  readonly total: number[][];
  /** The chosen sample type (`type/unit`) and the first decodable profile's types. */
  chosen: string | undefined;
  types: string[] = [];
  timeNanos = 0;
  durationNanos = 0;
  readonly merged: number[];
  readonly skipped: number[];

  constructor(readonly sides: number, readonly options: FlameOptions) {
    this.self = Array.from({ length: sides }, () => [0]);
    this.total = Array.from({ length: sides }, () => [0]);
    this.merged = new Array(sides).fill(0);
    this.skipped = new Array(sides).fill(0);
  }

  #intern(name: string): number {
    let index = this.#nameIndex.get(name);
    if (index === undefined) this.#nameIndex.set(name, index = this.names.push(name) - 1);
    return index;
  }

  #child(node: number, name: number): number {
    const children = this.childMaps[node]!;
    let child = children.get(name);
    if (child === undefined) {
      child = this.nodeName.push(name) - 1;
      this.childMaps.push(new Map());
      for (let s = 0; s < this.sides; s++) {
        this.self[s]!.push(0);
        this.total[s]!.push(0);
      }
      children.set(name, child);
    }
    return child;
  }

  /** Decodes `bytes` and folds its samples into side `side`; counts it skipped if it cannot. */
  add(bytes: Uint8Array, side: number, strict = false): void {
    let profile: Profile;
    try {
      profile = decodeProfile(gunzipIfNeeded(bytes, this.options.maxBytes ?? 64 * 1024 * 1024));
    } catch (error) {
      if (strict) throw error;
      this.skipped[side]!++;
      return;
    }
    const types = profile.sampleType.map((t) => `${str(profile, t.type)}/${str(profile, t.unit)}`);
    if (this.chosen === undefined) {
      this.types = types;
      let which = this.options.sampleType ?? -1;
      if (which < 0 || which >= types.length) {
        const byDefault = profile.defaultSampleType
          ? profile.sampleType.findIndex((t) => t.type === profile.defaultSampleType)
          : -1;
        which = byDefault >= 0 ? byDefault : types.length - 1;
      }
      this.chosen = types[which] ?? "";
    }
    const which = types.indexOf(this.chosen);
    if (which < 0) {
      this.skipped[side]!++;
      return;
    }
    for (const type of types) if (!this.types.includes(type)) this.types.push(type);
    const first = this.merged.every((n) => n === 0);
    if (first || profile.timeNanos < this.timeNanos) this.timeNanos = profile.timeNanos;
    this.durationNanos += profile.durationNanos;
    this.merged[side]!++;
    // Frame names of each location, root-most first (a location's last line is the caller).
    const functions = new Map(profile.function.map((f) => [f.id, f]));
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
        out.push(this.#intern(name));
      }
      if (out.length === 0) out.push(this.#intern(`0x${location.address.toString(16)}`));
      frames.set(location.id, out);
    }
    const self = this.self[side]!, total = this.total[side]!;
    for (const sample of profile.sample) {
      const value = sample.value[which] ?? 0;
      if (value === 0) continue;
      let node = 0;
      total[0]! += value;
      for (let i = sample.locationId.length - 1; i >= 0; i--) {
        for (const name of frames.get(sample.locationId[i]!) ?? []) {
          node = this.#child(node, name);
          total[node]! += value;
        }
      }
      self[node]! += value;
    }
  }

  /**
   * Pre-order output without the nodes below `minFraction` of the whole on every side;
   * `values[s]` holds side s's self and total per output node.
   */
  emit() {
    const mins = this.total.map((t) => Math.abs(t[0]!) * (this.options.minFraction ?? 1 / 5000));
    const small = (node: number) =>
      this.total.every((t, s) => Math.abs(t[node]!) < mins[s]! || t[node] === 0);
    const name: number[] = [];
    const parent: number[] = [];
    const values = this.total.map(() => ({ self: [] as number[], total: [] as number[] }));
    let hidden = 0;
    const stack: [node: number, parent: number][] = [[0, -1]];
    while (stack.length > 0) {
      const [node, up] = stack.pop()!;
      const index = name.push(this.nodeName[node]!) - 1;
      parent.push(up);
      values.forEach((v, s) => {
        v.self.push(this.self[s]![node]!);
        v.total.push(this.total[s]![node]!);
      });
      const names = this.names;
      const children = [...this.childMaps[node]!.values()].sort((a, b) => {
        const x = names[this.nodeName[a]!]!, y = names[this.nodeName[b]!]!;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i]!;
        if (small(child)) hidden++;
        else stack.push([child, index]);
      }
    }
    const which = this.chosen === undefined ? -1 : this.types.indexOf(this.chosen);
    return {
      head: {
        sample_types: this.types,
        sample_type: which,
        unit: this.chosen?.split("/")[1] ?? "",
        names: this.names,
        name,
        parent,
      },
      values,
      hidden,
    };
  }
}

function finish(
  tree: StackTree,
  side: number,
  { head, values, hidden }: ReturnType<StackTree["emit"]> = tree.emit(),
): FlameTree {
  return {
    ...head,
    self: values[side]!.self,
    total: values[side]!.total,
    hidden,
    time_nanos: tree.timeNanos,
    duration_nanos: tree.durationNanos,
    profiles: tree.merged[side]!,
    skipped: tree.skipped[side]!,
  };
}

/** Decodes `bytes` (pprof, gzipped or not) into a {@linkcode FlameTree}. Throws on bad input. */
export function flameTree(bytes: Uint8Array, options: FlameOptions = {}): FlameTree {
  const tree = new StackTree(1, options);
  tree.add(bytes, 0, true);
  return finish(tree, 0);
}

/**
 * The profiles merged by stack into one {@linkcode FlameTree} (each decoded in turn; one that
 * cannot be decoded, or lacks the chosen sample type, is counted in `skipped`).
 */
export function mergeFlame(
  profiles: Iterable<Uint8Array>,
  options: FlameOptions = {},
): FlameTree {
  const tree = new StackTree(1, options);
  for (const bytes of profiles) tree.add(bytes, 0);
  return finish(tree, 0);
}

/** Baseline and comparison merged on one tree (a frame present in one only is 0 in the other). */
export function diffFlame(
  baseline: Iterable<Uint8Array>,
  comparison: Iterable<Uint8Array>,
  options: FlameOptions = {},
): DiffTree {
  const tree = new StackTree(2, options);
  for (const bytes of baseline) tree.add(bytes, 0);
  for (const bytes of comparison) tree.add(bytes, 1);
  const emitted = tree.emit();
  const values = emitted.values;
  return {
    ...finish(tree, 1, emitted),
    base_self: values[0]!.self,
    base_total: values[0]!.total,
    base_profiles: tree.merged[0]!,
    base_skipped: tree.skipped[0]!,
  };
}
