/**
 * Process-level metrics on `/metrics`: resident memory, start time, uptime and build info.
 * Values are computed on each scrape.
 *
 * @module
 */

import type { MetricsRegistry } from "../telemetry/metrics.ts";

/** Registers the process gauges once per registry; returns an unregister function. */
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
  const uptime = registry.gauge("profcol_uptime_seconds", "Seconds since the collector started.");
  const info = registry.gauge("profcol_build_info", "Always 1; labelled with the version.", [
    "version",
  ]);
  info.set({ version }, 1);
  start.set(undefined, startedAtMs / 1000);
  const offRss = rss.collect(() => rss.set(undefined, Deno.memoryUsage().rss));
  const offUptime = uptime.collect(() => uptime.set(undefined, (Date.now() - startedAtMs) / 1000));
  return () => {
    offRss();
    offUptime();
  };
}
