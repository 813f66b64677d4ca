/**
 * V8 profiles (as the inspector protocol returns them) converted to pprof, for the admin
 * server's `/debug/pprof/profile` and `/debug/pprof/heap`:
 *
 * - {@linkcode cpuProfileToPprof}: `Profiler.stop`'s profile → sample types `samples/count`
 *   and `cpu/nanoseconds` (each sample weighs the time since the previous one), period type
 *   `cpu/nanoseconds`. `(idle)` and `(root)` samples are left out: they are not CPU time.
 * - {@linkcode heapProfileToPprof}: `HeapProfiler.getSamplingProfile`'s profile →
 *   `inuse_objects/count` and `inuse_space/bytes` (V8's sizes are already scaled for the
 *   sampling), period type `space/bytes`.
 *
 * Frames carry the function name, the script URL as file name and the 1-based line; one
 * location per call frame position, one function per name, file and start line.
 *
 * @module
 */

import { emptyProfile, encodeProfile, type Profile } from "./profile.ts";

/** `Runtime.CallFrame`. */
export interface V8CallFrame {
  readonly functionName: string;
  readonly scriptId?: string;
  readonly url: string;
  /** 0-based; -1 when unknown. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** `Profiler.Profile`. */
export interface V8CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: V8CallFrame;
    readonly children?: readonly number[];
  }[];
  /** Microseconds (monotonic clock). */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** `HeapProfiler.SamplingHeapProfileNode`. */
export interface V8HeapNode {
  readonly callFrame: V8CallFrame;
  readonly selfSize: number;
  readonly id: number;
  readonly children: readonly V8HeapNode[];
}

/** `HeapProfiler.SamplingHeapProfile`. */
export interface V8HeapProfile {
  readonly head: V8HeapNode;
  readonly samples: readonly { readonly size: number; readonly nodeId: number }[];
}

/** Builds string, function and location tables. */
class Builder {
  readonly profile: Profile = emptyProfile();
  readonly #strings = new Map<string, number>([["", 0]]);
  readonly #functions = new Map<string, number>();
  readonly #locations = new Map<string, number>();

  string(text: string): number {
    let index = this.#strings.get(text);
    if (index === undefined) {
      index = this.profile.stringTable.push(text) - 1;
      this.#strings.set(text, index);
    }
    return index;
  }

  location(frame: V8CallFrame): number {
    const name = frame.functionName || "(anonymous)";
    const line = frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0;
    const locationKey = `${name}\0${frame.url}\0${line}\0${frame.columnNumber}`;
    let id = this.#locations.get(locationKey);
    if (id !== undefined) return id;
    const functionKey = `${name}\0${frame.url}\0${line}`;
    let functionId = this.#functions.get(functionKey);
    if (functionId === undefined) {
      functionId = this.profile.function.length + 1;
      this.profile.function.push({
        id: functionId,
        name: this.string(name),
        systemName: this.string(name),
        filename: this.string(frame.url),
        startLine: line,
      });
      this.#functions.set(functionKey, functionId);
    }
    id = this.profile.location.length + 1;
    this.profile.location.push({
      id,
      mappingId: 0,
      address: 0,
      line: [{ functionId, line, column: frame.columnNumber >= 0 ? frame.columnNumber + 1 : 0 }],
      isFolded: false,
    });
    this.#locations.set(locationKey, id);
    return id;
  }

  types(types: readonly [string, string][], period: [string, string], periodValue: number): void {
    for (const [type, unit] of types) {
      this.profile.sampleType.push({ type: this.string(type), unit: this.string(unit) });
    }
    this.profile.periodType = { type: this.string(period[0]), unit: this.string(period[1]) };
    this.profile.period = periodValue;
  }
}

const SKIPPED = new Set(["(root)", "(idle)"]);

/** Converts a V8 CPU profile; `startedAtMs` is the wall-clock start (V8's clock is not). */
export function cpuProfileToPprof(
  cpu: V8CpuProfile,
  options: { startedAtMs: number; intervalMicros: number },
): Uint8Array {
  const b = new Builder();
  b.types(
    [["samples", "count"], ["cpu", "nanoseconds"]],
    ["cpu", "nanoseconds"],
    options.intervalMicros * 1000,
  );
  const byId = new Map(cpu.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of cpu.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const counts = new Map<number, [count: number, nanos: number]>();
  const samples = cpu.samples ?? [];
  const deltas = cpu.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const entry = counts.get(id) ?? [0, 0];
    entry[0] += 1;
    entry[1] += Math.max(0, deltas[i] ?? 0) * 1000;
    counts.set(id, entry);
  }
  for (const [id, [count, nanos]] of counts) {
    const node = byId.get(id);
    if (!node || SKIPPED.has(node.callFrame.functionName)) continue;
    const stack: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === "(root)") break;
      stack.push(b.location(frame));
    }
    b.profile.sample.push({ locationId: stack, value: [count, Math.round(nanos)], label: [] });
  }
  b.profile.timeNanos = options.startedAtMs * 1e6;
  b.profile.durationNanos = Math.max(0, Math.round((cpu.endTime - cpu.startTime) * 1000));
  return encodeProfile(b.profile);
}

/** Converts a V8 sampling heap profile (what is live now). */
export function heapProfileToPprof(
  heap: V8HeapProfile,
  options: { nowMs: number; samplingIntervalBytes: number },
): Uint8Array {
  const b = new Builder();
  b.types(
    [["inuse_objects", "count"], ["inuse_space", "bytes"]],
    ["space", "bytes"],
    options.samplingIntervalBytes,
  );
  const sampled = new Map<number, [count: number, bytes: number]>();
  for (const sample of heap.samples) {
    const entry = sampled.get(sample.nodeId) ?? [0, 0];
    entry[0] += 1;
    entry[1] += sample.size;
    sampled.set(sample.nodeId, entry);
  }
  const walk = (node: V8HeapNode, stack: readonly number[]): void => {
    const here = node.callFrame.functionName === "(root)"
      ? stack
      : [b.location(node.callFrame), ...stack];
    if (node.selfSize > 0) {
      // V8 scales selfSize for the sampling; scale the object count the same way.
      const [count, bytes] = sampled.get(node.id) ?? [1, node.selfSize];
      const objects = Math.max(1, Math.round(count * (bytes > 0 ? node.selfSize / bytes : 1)));
      b.profile.sample.push({ locationId: [...here], value: [objects, node.selfSize], label: [] });
    }
    for (const child of node.children) walk(child, here);
  };
  walk(heap.head, []);
  b.profile.timeNanos = options.nowMs * 1e6;
  return encodeProfile(b.profile);
}
