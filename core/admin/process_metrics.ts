/**
 * Process-level metrics on `/metrics`, under the names and meanings of Prometheus' process
 * collector (`process_*`), plus uptime and build info. Values are read on each scrape; on Linux
 * from `/proc/self` (a few small reads):
 *
 * | metric | type | source |
 * |---|---|---|
 * | `process_cpu_seconds_total` | counter | `/proc/self/stat` utime + stime, in clock ticks of 1/100 s (`USER_HZ`, as Prometheus' procfs) |
 * | `process_open_fds` | gauge | entries of `/proc/self/fd` |
 * | `process_max_fds` | gauge | soft limit of "Max open files" in `/proc/self/limits` |
 * | `process_virtual_memory_bytes` | gauge | `/proc/self/stat` vsize |
 * | `process_resident_memory_bytes` | gauge | `Deno.memoryUsage().rss` (any OS) |
 * | `process_start_time_seconds` | gauge | when the collector started (any OS) |
 *
 * On other operating systems the four `/proc` metrics are omitted (no series), as Prometheus'
 * own process collector does where it has no source; a `/proc` read that fails also leaves its
 * series out rather than failing the scrape.
 *
 * @module
 */

import type { MetricsRegistry } from "../telemetry/metrics.ts";

/** Linux reports process times in `USER_HZ` ticks, fixed at 100 for /proc on every architecture. */
const USER_HZ = 100;

/** The fields of `/proc/self/stat` these metrics use, or undefined where there is none. */
export function readProcStat(): { cpuSeconds: number; virtualBytes: number } | undefined {
  const text = readProc("/proc/self/stat");
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime 15, vsize 23.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const vsize = Number(fields[20]);
  if (![utime, stime, vsize].every(Number.isFinite)) return undefined;
  return { cpuSeconds: (utime + stime) / USER_HZ, virtualBytes: vsize };
}

/** Number of open file descriptors (entries of `/proc/self/fd`), or undefined. */
export function readOpenFds(): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    let count = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) count++;
    return count;
  } catch {
    return undefined;
  }
}

/** The soft limit on open files (`ulimit -n`), or undefined (also when unlimited). */
export function readMaxFds(): number | undefined {
  const text = readProc("/proc/self/limits");
  const line = text?.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = Number(line?.slice("Max open files".length).trim().split(/\s+/)[0]);
  return Number.isFinite(soft) ? soft : undefined;
}

function readProc(path: string): string | undefined {
  // Other operating systems have no /proc: the metrics read from it are left out.
  if (Deno.build.os !== "linux") return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Registers the process metrics once per registry; returns an unregister function. */
export function registerProcessMetrics(
  registry: MetricsRegistry,
  version: string,
  startedAtMs: number,
): () => void {
  const rss = registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  const start = registry.gauge(
    "process_start_time_seconds",
    "Start time of the process since the Unix epoch in seconds.",
  );
  const cpu = registry.counter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
  );
  const openFds = registry.gauge("process_open_fds", "Number of open file descriptors.");
  const maxFds = registry.gauge("process_max_fds", "Maximum number of open file descriptors.");
  const virtual = registry.gauge(
    "process_virtual_memory_bytes",
    "Virtual memory size in bytes.",
  );
  const uptime = registry.gauge("profcol_uptime_seconds", "Seconds since the collector started.");
  const info = registry.gauge("profcol_build_info", "Always 1; labelled with the version.", [
    "version",
  ]);
  info.set({ version }, 1);
  start.set(undefined, startedAtMs / 1000);
  const offRss = rss.collect(() => rss.set(undefined, Deno.memoryUsage().rss));
  const offCpu = cpu.collect(() => {
    const stat = readProcStat();
    if (stat) cpu.setTotal(undefined, stat.cpuSeconds);
  });
  const offVirtual = virtual.collect(() => {
    const stat = readProcStat();
    if (stat) virtual.set(undefined, stat.virtualBytes);
  });
  const offOpen = openFds.collect(() => {
    const n = readOpenFds();
    if (n !== undefined) openFds.set(undefined, n);
  });
  const offMax = maxFds.collect(() => {
    const n = readMaxFds();
    if (n !== undefined) maxFds.set(undefined, n);
  });
  const offUptime = uptime.collect(() => uptime.set(undefined, (Date.now() - startedAtMs) / 1000));
  return () => {
    offRss();
    offCpu();
    offVirtual();
    offOpen();
    offMax();
    offUptime();
  };
}
