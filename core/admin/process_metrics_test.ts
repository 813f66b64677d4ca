/** The process_* metrics read /proc on each scrape: plausible values that follow the process. */

import { assert, assertEquals } from "../../tests/support/assert.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { registerProcessMetrics } from "./process_metrics.ts";

const linux = Deno.build.os === "linux";

/** Each sample line of `/metrics` text → value, and each metric → its `# TYPE`. */
function scrape(
  registry: MetricsRegistry,
): { values: Map<string, number>; types: Map<string, string> } {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of registry.render().split("\n")) {
    const type = line.match(/^# TYPE (\S+) (\S+)$/);
    if (type) types.set(type[1]!, type[2]!);
    else if (line && !line.startsWith("#")) {
      const space = line.lastIndexOf(" ");
      values.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return { values, types };
}

Deno.test({
  name: "process metrics: Prometheus names and types, plausible values that follow the process",
  ignore: !linux,
  fn() {
    const registry = new MetricsRegistry();
    const off = registerProcessMetrics(registry, "1.2.3", Date.now() - 5_000);
    try {
      const first = scrape(registry);
      assertEquals(
        [
          "process_cpu_seconds_total",
          "process_open_fds",
          "process_max_fds",
          "process_virtual_memory_bytes",
          "process_resident_memory_bytes",
          "process_start_time_seconds",
        ].map((name) => [name, first.types.get(name), first.values.has(name)]),
        [
          ["process_cpu_seconds_total", "counter", true],
          ["process_open_fds", "gauge", true],
          ["process_max_fds", "gauge", true],
          ["process_virtual_memory_bytes", "gauge", true],
          ["process_resident_memory_bytes", "gauge", true],
          ["process_start_time_seconds", "gauge", true],
        ],
      );
      const fds = first.values.get("process_open_fds")!;
      const max = first.values.get("process_max_fds")!;
      const virtual = first.values.get("process_virtual_memory_bytes")!;
      const rss = first.values.get("process_resident_memory_bytes")!;
      assert(fds >= 3, `open fds ${fds}`);
      assert(max >= fds, `max fds ${max} < open ${fds}`);
      assert(virtual > rss && rss > 1_000_000, `virtual ${virtual}, resident ${rss}`);

      // Opening files shows in the next scrape; closing them too.
      const files = Array.from({ length: 5 }, () => Deno.openSync(Deno.execPath()));
      const opened = scrape(registry).values.get("process_open_fds")!;
      for (const file of files) file.close();
      const closed = scrape(registry).values.get("process_open_fds")!;
      assertEquals([opened - fds, closed - fds], [5, 0]);

      // 300 ms of busy work raises the CPU seconds (by less when other processes share the CPU;
      // /proc counts in 10 ms ticks).
      const cpuBefore = first.values.get("process_cpu_seconds_total")!;
      const until = performance.now() + 300;
      let spin = 0;
      while (performance.now() < until) spin++;
      assert(spin > 0);
      const cpuAfter = scrape(registry).values.get("process_cpu_seconds_total")!;
      assert(
        cpuAfter - cpuBefore >= 0.05 && cpuAfter - cpuBefore < 5,
        `cpu seconds ${cpuBefore} → ${cpuAfter}`,
      );
    } finally {
      off();
    }
  },
});
