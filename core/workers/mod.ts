/**
 * Worker threads: the pool, the per-thread lag monitor, the CPU count, the task contract and the
 * saturation reporter.
 *
 * @module
 */

export { availableCpus, cgroupCpuQuota } from "./cpus.ts";
export { LagMonitor, threadLag } from "./lag.ts";
export { inlineRunner, type RunOptions, type TaskRunner, WorkerPool } from "./pool.ts";
export { type SaturationOptions, SaturationReporter } from "./saturation.ts";
export type { TaskHandler, TaskModule, TaskResult } from "./task.ts";
