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
import { metricValue } from "./support/metrics.ts";
import { builtinFactories } from "../components.ts";

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
    const limit = (reason: string) =>
      metricValue(metrics, "profcol_delta_state_limit_total", {
        component_id: "pyroscope.scrape/app",
        reason,
      });
    assertEquals([limit("spilled"), limit("dropped")], [2, 1]);
  } finally {
    await collector.shutdown();
  }
});

Deno.test("service.delta_memory holds across worker threads: a scrape on a worker that reaches its share is counted in the main /metrics", async () => {
  const allocs = [1, 2].map((n) =>
    Deno.readFileSync(new URL(`../pprof/testdata/allocs_${n}.pb.gz`, import.meta.url))
  );
  let served = 0;
  const target = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(allocs[served++ % 2] as BodyInit, {
        headers: { "content-type": "application/octet-stream" },
      }),
  );
  const dir = Deno.makeTempDirSync({ prefix: "profcol-delta-workers-" });
  const text = `receivers:
  pyroscope.scrape/threaded:
    targets: [{ __address__: "127.0.0.1:${target.addr.port}", service_name: app }]
    scrape_interval: 1s
    profiling_config:
      profile.process_cpu: { enabled: false }
      profile.goroutine: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
exporters:
  file: { directory: ${dir} }
service:
  workers: 2
  delta_memory: 200B
  pipelines:
    profiles: { receivers: [pyroscope.scrape/threaded], exporters: [file] }
  telemetry: { http: { listen_port: 0 }, logs: { level: error } }
`;
  const collector = new Collector({
    configFiles: ["delta.yaml"],
    registry: new Registry(builtinFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  try {
    const spilled = () =>
      metricValue(collector.metrics.render(), "profcol_delta_state_limit_total", {
        component_id: "pyroscope.scrape/threaded",
        reason: "spilled",
      }) ?? 0;
    const deadline = Date.now() + 15_000;
    while (spilled() === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(spilled() > 0, true, "a worker's spill counted on the main thread");
  } finally {
    await collector.shutdown();
    await target.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});
