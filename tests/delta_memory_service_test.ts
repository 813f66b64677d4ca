/**
 * `service.delta_memory` in a running collector: the process-wide delta budget takes its limit
 * from the config (and from a reload), and what states did at the limit is in `/metrics` as
 * `profcol_delta_state_limit_total{component_id,reason}`.
 */

import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { deltaMemory } from "../pprof/delta_memory.ts";
import { assertEquals } from "./support/assert.ts";
import { instances, testFactories } from "./support/test_factories.ts";

const config = (deltaMemory: string) =>
  `receivers:
  test.receiver/in: {}
exporters:
  test.exporter/out: {}
service:
  delta_memory: ${deltaMemory}
  pipelines:
    profiles: { receivers: [test.receiver/in], exporters: [test.exporter/out] }
  telemetry: { http: { listen_port: 0 } }
`;

/** The value of one series in Prometheus text, or undefined when absent. */
function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("service.delta_memory sets the delta budget (start and reload); limit events are metrics", async () => {
  instances.clear();
  let text = config("1MiB");
  const collector = new Collector({
    configFiles: ["delta.yaml"],
    registry: new Registry(testFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  try {
    assertEquals(deltaMemory.limit, 1024 * 1024);
    text = config("2MiB");
    assertEquals((await collector.reload()).ok, true);
    assertEquals(deltaMemory.limit, 2 * 1024 * 1024);

    deltaMemory.recordLimit("pyroscope.scrape/app", "spilled");
    deltaMemory.recordLimit("pyroscope.scrape/app", "spilled");
    deltaMemory.recordLimit("pyroscope.scrape/app", "dropped");
    const metrics = collector.metrics.render();
    const series = (reason: string) =>
      `profcol_delta_state_limit_total{component_id="pyroscope.scrape/app",reason="${reason}"}`;
    assertEquals(
      [metricValue(metrics, series("spilled")), metricValue(metrics, series("dropped"))],
      [2, 1],
    );
  } finally {
    await collector.shutdown();
  }
});
