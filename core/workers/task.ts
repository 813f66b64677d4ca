/**
 * The contract between a task module and the thread that runs it. A task module exports
 * `tasks`: named handlers that take a structured-cloneable payload and an abort signal and
 * return a {@linkcode TaskResult}. The same module runs on a worker thread or, with
 * `service.workers: 1`, on the main thread; module-level state (e.g. delta state) lives on
 * whichever thread runs it, so callers pin related tasks to one thread (`affinity`).
 *
 * @module
 */

/** What a handler returns; `transfer` lists buffers moved (not copied) to the caller. */
export interface TaskResult<T = unknown> {
  readonly value: T;
  readonly transfer?: readonly ArrayBuffer[];
}

/** One named task. */
export type TaskHandler = (
  payload: unknown,
  signal: AbortSignal,
) => TaskResult | Promise<TaskResult>;

/** What a task module exports. */
export interface TaskModule {
  readonly tasks: Readonly<Record<string, TaskHandler>>;
}

/** Main thread → worker. */
export type ToWorker =
  | { kind: "run"; id: number; module: string; op: string; payload: unknown }
  | { kind: "cancel"; id: number };

/** Worker → main thread. */
export type FromWorker =
  | { kind: "done"; id: number; value: unknown }
  | { kind: "failed"; id: number; message: string }
  /** The task has begun (tasks begin in the order sent): the thread's queue moved. */
  | { kind: "started"; id: number };

const modules = new Map<string, Promise<TaskModule>>();

/** Runs `op` of the task module at `module` (imported once per thread). */
export async function runTask(
  module: string,
  op: string,
  payload: unknown,
  signal: AbortSignal,
): Promise<TaskResult> {
  let loaded = modules.get(module);
  if (!loaded) modules.set(module, loaded = import(module) as Promise<TaskModule>);
  const handler = (await loaded).tasks[op];
  if (!handler) throw new Error(`Task module ${module} has no task ${JSON.stringify(op)}`);
  return await handler(payload, signal);
}
