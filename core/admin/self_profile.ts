/**
 * The collector profiling itself through V8's inspector (`node:inspector`): a CPU profile over
 * `seconds` and the sampling heap profile, both as gzipped pprof (converters in `pprof/v8.ts`).
 * One CPU profile at a time (a second request gets {@linkcode ProfilerBusyError}, as Go's
 * `net/http/pprof` answers 500). Heap sampling (one sample per 128 KiB allocated) sees only
 * what is allocated after it starts, so the admin server starts it with
 * {@linkcode SelfProfiler.startHeapSampling}; it stays on until {@linkcode SelfProfiler.close}.
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

/** A CPU profile is already running. */
export class ProfilerBusyError extends Error {
  override readonly name = "ProfilerBusyError";
}

const CPU_INTERVAL_MICROS = 10_000; // 100 Hz, as Go's pprof
const HEAP_INTERVAL_BYTES = 128 * 1024;

/** See the module doc. */
export class SelfProfiler {
  #session: Session | undefined;
  #cpuRunning = false;
  #heapSampling = false;
  readonly #stop = new AbortController();

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

  /** Profiles the CPU for `seconds` (ended early by `signal` or close); gzipped pprof. */
  async cpu(seconds: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#cpuRunning) throw new ProfilerBusyError("cpu profiling already in use");
    this.#cpuRunning = true;
    try {
      await this.#post("Profiler.enable");
      await this.#post("Profiler.setSamplingInterval", { interval: CPU_INTERVAL_MICROS });
      const startedAtMs = Date.now();
      await this.#post("Profiler.start");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, seconds * 1000);
        const stop = this.#stop.signal;
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          stop.removeEventListener("abort", done);
          resolve();
        }
        if (signal?.aborted || stop.aborted) return done();
        signal?.addEventListener("abort", done, { once: true });
        stop.addEventListener("abort", done, { once: true });
      });
      const { profile } = await this.#post<{ profile: V8CpuProfile }>("Profiler.stop");
      return gzip(cpuProfileToPprof(profile, { startedAtMs, intervalMicros: CPU_INTERVAL_MICROS }));
    } finally {
      this.#cpuRunning = false;
    }
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
      while (this.#cpuRunning) await new Promise((r) => setTimeout(r, 5));
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
