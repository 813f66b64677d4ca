/**
 * Where CPU-heavy work runs: a {@linkcode WorkerPool} of `service.workers` threads, or the
 * {@linkcode inlineRunner} on the main thread when `workers` is 1. Both run the same task
 * modules (`task.ts`), so a component is written once. Tasks with the same `affinity` run on
 * the same thread (state such as delta state stays where its tasks run); results cross back
 * as transferred buffers, not copies.
 *
 * A worker that dies fails its tasks in flight with an error naming it and is replaced on the
 * next task; its module state (delta state) starts over.
 *
 * @module
 */

import type { Logger } from "../telemetry/logger.ts";
import { type FromWorker, runTask, type ToWorker } from "./task.ts";

/** Options of one task. */
export interface RunOptions {
  /** Tasks with the same affinity run on the same thread (taken modulo the thread count). */
  readonly affinity: number;
  /** Aborting it aborts the task's own signal (e.g. an HTTP request in flight). */
  readonly signal?: AbortSignal;
}

/** Runs task modules on threads. */
export interface TaskRunner {
  /** Worker threads; 0 when everything runs on the main thread. */
  readonly threads: number;
  run<T>(module: string, op: string, payload: unknown, options: RunOptions): Promise<T>;
  /** Runs `op` once on every thread that has started (for releasing state). */
  everywhere(module: string, op: string, payload: unknown): Promise<void>;
  /**
   * How long (ms) the oldest task queued for the thread of `affinity` has been waiting to
   * begin; 0 when nothing waits (always 0 on the main thread, whose delay shows as late ticks).
   */
  backlogMs(affinity: number): number;
}

/** Runs tasks on the calling (main) thread: `service.workers: 1`. */
export const inlineRunner: TaskRunner = {
  threads: 0,
  async run<T>(module: string, op: string, payload: unknown, options: RunOptions): Promise<T> {
    const result = await runTask(
      module,
      op,
      payload,
      options.signal ?? new AbortController().signal,
    );
    return result.value as T;
  },
  async everywhere(module: string, op: string, payload: unknown): Promise<void> {
    await runTask(module, op, payload, new AbortController().signal);
  },
  backlogMs: () => 0,
};

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

class PoolThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Tasks sent but not begun, oldest first: [id, sent at (performance.now())]. */
  readonly #queued: [number, number][] = [];
  #queueHead = 0;

  constructor(readonly index: number, onDeath: (thread: PoolThread, why: string) => void) {
    this.worker = new Worker(new URL("./worker_main.ts", import.meta.url).href, {
      type: "module",
    });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.kind === "started") {
        this.#begun(message.id);
        return;
      }
      this.#begun(message.id); // a task that ended has begun (begun ids are told lazily)
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.kind === "done") pending.resolve(message.value);
      else pending.reject(new Error(message.message));
    };
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      onDeath(this, event.message);
    };
  }

  post(message: ToWorker): void {
    if (message.kind === "run") this.#queued.push([message.id, performance.now()]);
    this.worker.postMessage(message);
  }

  #begun(id: number): void {
    const queue = this.#queued;
    while (this.#queueHead < queue.length && queue[this.#queueHead]![0] <= id) this.#queueHead++;
    if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  backlogMs(): number {
    const oldest = this.#queued[this.#queueHead];
    return oldest ? performance.now() - oldest[1] : 0;
  }
}

/** A fixed number of worker threads, started on first use. */
export class WorkerPool implements TaskRunner {
  readonly #threads: (PoolThread | undefined)[];
  readonly #logger: Logger | undefined;
  #nextId = 1;
  #closed = false;

  constructor(threads: number, logger?: Logger) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`Worker pool size must be a positive integer, got ${threads}`);
    }
    this.#threads = new Array(threads).fill(undefined);
    this.#logger = logger;
  }

  get threads(): number {
    return this.#threads.length;
  }

  #thread(affinity: number): PoolThread {
    if (this.#closed) throw new Error("Worker pool is closed");
    const index = Math.abs(Math.trunc(affinity)) % this.#threads.length;
    return this.#threads[index] ??= new PoolThread(index, (thread, why) => this.#died(thread, why));
  }

  #died(thread: PoolThread, why: string): void {
    this.#logger?.error("worker thread failed; its tasks in flight fail and it is restarted", {
      worker: thread.index,
      cause: why,
    });
    if (this.#threads[thread.index] === thread) this.#threads[thread.index] = undefined;
    thread.worker.terminate();
    for (const pending of thread.pending.values()) {
      pending.reject(new Error(`worker thread ${thread.index} failed: ${why}`));
    }
    thread.pending.clear();
  }

  run<T>(module: string, op: string, payload: unknown, options: RunOptions): Promise<T> {
    let thread: PoolThread;
    try {
      thread = this.#thread(options.affinity);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const signal = options.signal;
      const cancel = () => thread.post({ kind: "cancel", id });
      signal?.addEventListener("abort", cancel, { once: true });
      thread.pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener("abort", cancel);
          resolve(value as T);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", cancel);
          reject(error);
        },
      });
      thread.post({ kind: "run", id, module, op, payload });
      if (signal?.aborted) cancel();
    });
  }

  async everywhere(module: string, op: string, payload: unknown): Promise<void> {
    await Promise.all(
      this.#threads.flatMap((thread) =>
        thread ? [this.run(module, op, payload, { affinity: thread.index })] : []
      ),
    );
  }

  backlogMs(affinity: number): number {
    return this.#threads[Math.abs(Math.trunc(affinity)) % this.#threads.length]?.backlogMs() ?? 0;
  }

  /** Terminates every thread; tasks in flight fail. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const thread of this.#threads) {
      if (!thread) continue;
      thread.worker.terminate();
      for (const pending of thread.pending.values()) {
        pending.reject(new Error("Worker pool closed"));
      }
    }
    this.#threads.fill(undefined);
  }
}
