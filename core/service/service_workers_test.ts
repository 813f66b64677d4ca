import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/support/assert.ts";
import { instances, testFactories, type TestReceiver } from "../../tests/support/test_factories.ts";
import { ConfigError, loadAndValidate } from "../config/mod.ts";
import { Registry } from "../registry.ts";
import { Logger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { availableCpus } from "../workers/cpus.ts";
import { inlineRunner } from "../workers/pool.ts";
import { Service } from "./service.ts";

const registry = new Registry(testFactories);
const config = (workers: string) =>
  loadAndValidate(["c.yaml"], registry, {
    readFile: () =>
      `receivers:
  test.receiver/a: {}
exporters:
  test.exporter/x: {}
service:
  ${workers}
  pipelines:
    p: { receivers: [test.receiver/a], exporters: [test.exporter/x] }
`,
    env: () => undefined,
  });

const TASKS = new URL("../workers/testdata/tasks.ts", import.meta.url).href;

function newService() {
  instances.clear();
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({ format: "json", write: (l) => records.push(JSON.parse(l)) });
  return {
    service: new Service({ logger, metrics: new MetricsRegistry(), version: "t" }),
    records,
  };
}

const host = () => (instances.get("test.receiver/a") as TestReceiver).settings.host;

Deno.test("service.workers: a pool of that many threads for components, closed at shutdown; a reload that changes it warns", async () => {
  const { service, records } = newService();
  await service.start(config("workers: 2"));
  const pool = host().workers!();
  assertEquals([service.workerCount, pool.threads], [2, 2]);
  assertEquals(host().workers!(), pool, "one pool for every component");
  assertEquals(await pool.run<number>(TASKS, "count", null, { affinity: 1 }), 1);
  await service.reload(config("workers: 3"));
  assertEquals(
    records.filter((r) => r.msg === "service.workers changes take effect on restart")
      .map((r) => [r.level, r.workers, r.configured]),
    [["warn", 2, 3]],
  );
  await service.shutdown();
  await assertRejects(
    () => pool.run(TASKS, "count", null, { affinity: 0 }),
    Error,
    "Worker pool is closed",
  );
});

Deno.test("service.workers: 1 runs on the main thread; unset means the CPUs available", async () => {
  const one = newService().service;
  await one.start(config("workers: 1"));
  assertEquals(host().workers!(), inlineRunner);
  await one.shutdown();
  const unset = newService().service;
  await unset.start(config(""));
  assertEquals(unset.workerCount, availableCpus());
  await unset.shutdown();
});

Deno.test("service.workers: not a whole number of at least 1 is a config error naming the field", () => {
  for (const bad of ["workers: 0", "workers: 1.5", "workers: two"]) {
    try {
      config(bad);
      throw new Error(`${bad} was accepted`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      assertStringIncludes(
        error.message,
        "service::workers: Expected a whole number of worker threads",
      );
    }
  }
});
