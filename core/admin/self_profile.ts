/**
 * The collector profiling itself through V8's inspector (`node:inspector`): a CPU profile over
 * `seconds` and the sampling heap profile, both as gzipped pprof (converters in `pprof/v8.ts`).
 *
 * Concurrent CPU profiles share one sampling session (Go's `net/http/pprof` answers 500 to the
 * second caller; the example config's self-scrape would then lock users out): each caller is
 * a window `[from, to]`; V8's profiler runs while any window is open. When the earliest window
 * ends the profiler is stopped, its samples (a segment) handed to every open window, and
 * started again if windows remain. A caller's profile is its segments' samples that fall in
 * its own window, so two overlapping requests get the same samples where they overlap.
 *
 * Heap sampling (one sample per 128 KiB allocated) sees only what is allocated after it starts,
 * so the admin server starts it with {@linkcode SelfProfiler.startHeapSampling}; it stays on
 * until {@linkcode SelfProfiler.close}.
 *
 * V8's profilers are per process (isolate), so admin servers share one profiler
 * ({@linkcode selfProfiler}): a new admin server after a reload keeps the heap sampling going.
 *
 * @module
 */

import { Session } from "node:inspector";
import { gzip } from "../../pprof/gzip.ts";
import {
  cpuProfileToPprof,
  heapProfileToPprof,
  type V8CpuProfile,
  type V8HeapProfile,
} from "../../pprof/v8.ts";

/** The longest CPU profile one request may ask for (`/debug/pprof/profile?seconds=`). */
export const CPU_PROFILE_MAX_SECONDS = 60;

const CPU_INTERVAL_MICROS = 10_000; // 100 Hz, as Go's pprof
const HEAP_INTERVAL_BYTES = 128 * 1024;

/** One stretch of sampling: V8's profile and the wall-clock time it started. */
export interface CpuSegment {
  readonly profile: V8CpuProfile;
  readonly startedAtMs: number;
}

interface CpuWindow {
  readonly fromMs: number;
  toMs: number;
  readonly segments: CpuSegment[];
  readonly resolve: (pprof: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The samples of `segments` taken within `[fromMs, toMs]`, as one V8 profile (node ids made
 * unique per segment) covering that window.
 */
export function cpuWindow(
  segments: readonly CpuSegment[],
  fromMs: number,
  toMs: number,
): V8CpuProfile {
  const nodes: V8CpuProfile["nodes"][number][] = [];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let offset = 0;
  for (const { profile, startedAtMs } of segments) {
    let maxId = 0;
    for (const node of profile.nodes) {
      maxId = Math.max(maxId, node.id);
      nodes.push({
        id: node.id + offset,
        callFrame: node.callFrame,
        children: node.children?.map((child) => child + offset),
      });
    }
    const ids = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let atMicros = profile.startTime;
    for (let i = 0; i < ids.length; i++) {
      atMicros += deltas[i] ?? 0;
      const atMs = startedAtMs + (atMicros - profile.startTime) / 1000;
      if (atMs < fromMs || atMs > toMs) continue;
      samples.push(ids[i]! + offset);
      timeDeltas.push(deltas[i] ?? 0);
    }
    offset += maxId + 1;
  }
  return { nodes, startTime: 0, endTime: (toMs - fromMs) * 1000, samples, timeDeltas };
}

/** See the module doc. */
export class SelfProfiler {
  #session: Session | undefined;
  #heapSampling = false;
  readonly #stop = new AbortController();
  readonly #windows = new Set<CpuWindow>();
  /** Inspector calls for the CPU profiler, one after another. */
  #cpuOps: Promise<void> = Promise.resolve();
  #sampling = false;
  #segmentStartedAtMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  #post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (!this.#session) {
      this.#session = new Session();
      this.#session.connect();
    }
    const session = this.#session;
    return new Promise((resolve, reject) => {
      // deno-lint-ignore no-explicit-any
      (session.post as any)(method, params, (error: Error | null, result: T) => {
        if (error) reject(error);
        else resolve(result);
      });
    });
  }

  /**
   * Profiles the CPU for `seconds` from now (ended early by `signal` or close), joining the
   * sampling session other callers may have running; gzipped pprof.
   */
  cpu(seconds: number, signal?: AbortSignal): Promise<Uint8Array> {
    const fromMs = Date.now();
    const stop = this.#stop.signal;
    let endNow = () => {};
    const cleanup = () => {
      signal?.removeEventListener("abort", endNow);
      stop.removeEventListener("abort", endNow);
    };
    return new Promise<Uint8Array>((resolve, reject) => {
      const window: CpuWindow = {
        fromMs,
        toMs: signal?.aborted || stop.aborted ? fromMs : fromMs + seconds * 1000,
        segments: [],
        resolve: (pprof) => (cleanup(), resolve(pprof)),
        reject: (error) => (cleanup(), reject(error)),
      };
      endNow = () => {
        window.toMs = Math.min(window.toMs, Date.now());
        this.#schedule();
      };
      signal?.addEventListener("abort", endNow, { once: true });
      stop.addEventListener("abort", endNow, { once: true });
      this.#windows.add(window);
      if (!this.#sampling) this.#enqueue(() => this.#startSampling());
      this.#schedule();
    });
  }

  #enqueue(op: () => Promise<void>): void {
    this.#cpuOps = this.#cpuOps.then(op).catch((error: Error) => {
      this.#sampling = false;
      for (const window of this.#windows) window.reject(error);
      this.#windows.clear();
    });
  }

  async #startSampling(): Promise<void> {
    if (this.#sampling || this.#windows.size === 0) return;
    this.#sampling = true;
    await this.#post("Profiler.enable");
    await this.#post("Profiler.setSamplingInterval", { interval: CPU_INTERVAL_MICROS });
    this.#segmentStartedAtMs = Date.now();
    await this.#post("Profiler.start");
  }

  /** Sets the timer for the earliest window's end. */
  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#windows.size === 0) return;
    let next = Infinity;
    for (const window of this.#windows) next = Math.min(next, window.toMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#enqueue(() => this.#cut());
    }, Math.max(0, next - Date.now()));
  }

  /** Stops sampling, hands the segment to every window, answers the ended ones, goes on. */
  async #cut(): Promise<void> {
    if (!this.#sampling) return;
    const { profile } = await this.#post<{ profile: V8CpuProfile }>("Profiler.stop");
    this.#sampling = false;
    const segment = { profile, startedAtMs: this.#segmentStartedAtMs };
    const now = Date.now();
    for (const window of [...this.#windows]) {
      window.segments.push(segment);
      if (window.toMs > now) continue;
      this.#windows.delete(window);
      const merged = cpuWindow(window.segments, window.fromMs, window.toMs);
      window.resolve(
        gzip(cpuProfileToPprof(merged, {
          startedAtMs: window.fromMs,
          intervalMicros: CPU_INTERVAL_MICROS,
        })),
      );
    }
    if (this.#windows.size > 0) await this.#startSampling();
    this.#schedule();
  }

  /** Starts heap sampling (once). */
  async startHeapSampling(): Promise<void> {
    if (this.#heapSampling) return;
    this.#heapSampling = true;
    await this.#post("HeapProfiler.enable");
    await this.#post("HeapProfiler.startSampling", { samplingInterval: HEAP_INTERVAL_BYTES });
  }

  /** The live heap as sampled so far; gzipped pprof. */
  async heap(): Promise<Uint8Array> {
    await this.startHeapSampling();
    const { profile } = await this.#post<{ profile: V8HeapProfile }>(
      "HeapProfiler.getSamplingProfile",
    );
    return gzip(
      heapProfileToPprof(profile, {
        nowMs: Date.now(),
        samplingIntervalBytes: HEAP_INTERVAL_BYTES,
      }),
    );
  }

  /** Ends a running CPU profile, stops heap sampling and disconnects. Safe twice. */
  async close(): Promise<void> {
    this.#stop.abort();
    const session = this.#session;
    if (!session) return;
    try {
      while (this.#windows.size > 0) await new Promise((r) => setTimeout(r, 5));
      await this.#cpuOps;
      if (this.#heapSampling) await this.#post("HeapProfiler.stopSampling").catch(() => {});
    } finally {
      this.#session = undefined;
      this.#heapSampling = false;
      session.disconnect();
    }
  }
}

let shared: SelfProfiler | undefined;

/** The process's profiler, shared by every admin server (never closed). */
export function selfProfiler(): SelfProfiler {
  return shared ??= new SelfProfiler();
}
