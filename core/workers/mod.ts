/**
 * Worker threads: the pool, the per-thread lag monitor, the CPU count and the task contract.
 *
 * @module
 */

export { availableCpus, cgroupCpuQuota } from "./cpus.ts";
export { LagMonitor, threadLag } from "./lag.ts";
export { inlineRunner, type RunOptions, type TaskRunner, WorkerPool } from "./pool.ts";
export type { TaskHandler, TaskModule, TaskResult } from "./task.ts";
