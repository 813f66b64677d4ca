import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import {
  events,
  instances,
  TestExporter,
  testFactories,
  TestProcessor,
  TestReceiver,
  testTarget,
} from "../../tests/support/test_factories.ts";
import { loadAndValidate } from "../config/mod.ts";
import type { PushItem } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { Registry } from "../registry.ts";
import { Logger, silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { ReloadError, Service } from "./service.ts";

const registry = new Registry(testFactories);
const config = (text: string) =>
  loadAndValidate(["c.yaml"], registry, { readFile: () => text, env: () => undefined });

const item = (service: string): PushItem => ({
  kind: "push",
  labels: LabelSet.from({ service_name: service }),
  samples: [{ rawProfile: new Uint8Array(4) }],
});

const BASE = `receivers:
  test.receiver/a: {}
processors:
  test.processor/tag: { label: pipeline, value: first }
exporters:
  test.exporter/x: {}
  test.exporter/y: {}
service:
  pipelines:
    first: { receivers: [test.receiver/a], processors: [test.processor/tag], exporters: [test.exporter/x] }
    second: { receivers: [test.receiver/a], exporters: [test.exporter/x, test.exporter/y] }
`;

function newService() {
  instances.clear();
  events.length = 0;
  return new Service({ logger: silentLogger(), metrics: new MetricsRegistry(), version: "t" });
}

const get = <T>(id: string, type: new (...args: never[]) => T): T => {
  const found = instances.get(id);
  if (!(found instanceof type)) throw new Error(`no ${type.name} ${id}`);
  return found;
};

Deno.test("service: starts exporters, then processors, then receivers; stops in reverse", async () => {
  const service = newService();
  assert(!service.ready);
  await service.start(config(BASE));
  assert(service.ready);
  const starts = events.filter((e) => e.startsWith("start:"));
  assertEquals(starts.slice(0, 2).sort(), ["start:test.exporter/x", "start:test.exporter/y"]);
  assertEquals(starts.slice(2), ["start:test.processor/tag", "start:test.receiver/a"]);
  events.length = 0;
  await service.shutdown();
  await service.shutdown();
  assertEquals(events[0], "shutdown:test.receiver/a");
  assertEquals(events[1], "shutdown:test.processor/tag");
  assertEquals(events.slice(2).sort(), ["shutdown:test.exporter/x", "shutdown:test.exporter/y"]);
  assertEquals(service.state, "stopped");
});

Deno.test("service: a receiver feeds several pipelines; an exporter serves several", async () => {
  const service = newService();
  await service.start(config(BASE));
  await get("test.receiver/a", TestReceiver).push(item("api"));
  const x = get("test.exporter/x", TestExporter);
  const y = get("test.exporter/y", TestExporter);
  assertEquals(x.items.map((i) => i.labels.get("pipeline") ?? "-").sort(), ["-", "first"]);
  assertEquals(y.items.map((i) => i.labels.get("pipeline") ?? "-"), ["-"]);
  const status = service.status();
  assertEquals(status.pipelines.map((p) => p.name), ["first", "second"]);
  assertEquals(status.components.length, 4);
  await service.shutdown();
});

Deno.test("service: each pipeline gets its own processor instances", async () => {
  const service = newService();
  const text = BASE.replace(
    "exporters: [test.exporter/x, test.exporter/y] }",
    "processors: [test.processor/tag], exporters: [test.exporter/y] }",
  );
  await service.start(config(text));
  const processors = service.status().components.filter((c) => c.kind === "processor");
  assertEquals(processors.map((p) => p.pipeline), ["first", "second"]);
  await service.shutdown();
});

Deno.test("service: a component that fails to start stops what started and fails start", async () => {
  const service = newService();
  const text = BASE.replace("test.receiver/a: {}", "test.receiver/a: { fail_start: true }");
  await assertRejects(() => service.start(config(text)), Error, "receiver test.receiver/a");
  assert(get("test.exporter/x", TestExporter).stopped);
  assert(get("test.processor/tag", TestProcessor).stopped);
  assertEquals(service.state, "failed");
  await service.shutdown();
});

Deno.test("service: reload keeps unchanged components (queues survive) and swaps changed ones", async () => {
  const service = newService();
  await service.start(config(BASE));
  const receiver = get("test.receiver/a", TestReceiver);
  const x = get("test.exporter/x", TestExporter);
  const y = get("test.exporter/y", TestExporter);
  await receiver.push(item("before"));
  await service.reload(config(
    BASE.replace("test.exporter/y: {}", "test.exporter/y: { tag: v2 }")
      .replace("value: first", "value: changed"),
  ));
  assert(get("test.receiver/a", TestReceiver) === receiver, "receiver kept");
  assert(get("test.exporter/x", TestExporter) === x, "exporter x kept with its queue");
  assert(!x.stopped);
  const y2 = get("test.exporter/y", TestExporter);
  assert(y2 !== y && y.stopped, "exporter y replaced and the old one shut down");
  await receiver.push(item("after"));
  assertEquals(x.items.map((i) => i.labels.get("pipeline") ?? "-").sort(), [
    "-",
    "-",
    "changed",
    "first",
  ]);
  assertEquals(y2.items.length, 1);
  await service.shutdown();
});

Deno.test("service: reload removes components and adds new ones", async () => {
  const service = newService();
  await service.start(config(BASE));
  const oldReceiver = get("test.receiver/a", TestReceiver);
  const next = `receivers:
  test.receiver/b: {}
exporters:
  test.exporter/x: {}
service:
  pipelines:
    only: { receivers: [test.receiver/b], exporters: [test.exporter/x] }
`;
  await service.reload(config(next));
  assert(oldReceiver.stopped);
  assert(get("test.processor/tag", TestProcessor).stopped);
  assert(get("test.exporter/y", TestExporter).stopped);
  await get("test.receiver/b", TestReceiver).push(item("b"));
  assertEquals(get("test.exporter/x", TestExporter).items.length, 1);
  assertEquals(service.status().pipelines.map((p) => p.name), ["only"]);
  await service.shutdown();
});

Deno.test("service: a reload drops the metric series of components it removed for good", async () => {
  const metrics = new MetricsRegistry();
  instances.clear();
  const service = new Service({ logger: silentLogger(), metrics, version: "t" });
  await service.start(config(BASE));
  await get("test.receiver/a", TestReceiver).push(item("a"));
  const ids = () => [...new Set(metrics.render().match(/component_id="[^"]+"/g) ?? [])].sort();
  assertEquals(ids(), [
    'component_id="test.exporter/x"',
    'component_id="test.exporter/y"',
    'component_id="test.receiver.a"', // Alloy's form, on pyroscope_fanout_latency
    'component_id="test.receiver/a"',
  ]);
  await service.reload(config(`receivers:
  test.receiver/b: {}
exporters:
  test.exporter/x: { capacity: 5 }
service:
  pipelines:
    only: { receivers: [test.receiver/b], exporters: [test.exporter/x] }
`));
  // x changed but stays (its counters go on); y and receiver a are gone, and so are their series.
  assertEquals(ids(), ['component_id="test.exporter/x"']);
  await service.shutdown();
});

Deno.test("service: a reload whose new exporter fails to start keeps the running graph", async () => {
  const service = newService();
  await service.start(config(BASE));
  const y = get("test.exporter/y", TestExporter);
  const error = await assertRejects(
    () =>
      service.reload(
        config(BASE.replace("test.exporter/y: {}", "test.exporter/y: { fail_start: true }")),
      ),
    ReloadError,
    "kept the running config",
  );
  assertEquals((error as ReloadError).applied, false);
  assert(!y.stopped);
  await get("test.receiver/a", TestReceiver).push(item("still"));
  assertEquals(y.items.length, 1);
  assert(service.ready);
  await service.shutdown();
});

Deno.test("service: status providers are merged and released when the component stops", async () => {
  const service = newService();
  const text = BASE.replace("test.receiver/a: {}", "test.receiver/a: { target: t1 }") +
    "";
  await service.start(config(text));
  assertEquals(service.published("targets"), [testTarget("test.receiver/a", "t1")]);
  await service.shutdown();
  assertEquals(service.published("targets"), []);
});

Deno.test("service: a status provider that throws is left out and warned about once", () => {
  const warnings: string[] = [];
  const logger = new Logger({ write: () => {} });
  logger.observe((level, record) => {
    if (level === "warn") warnings.push(`${record.msg} status=${record.status}`);
  });
  const service = new Service({ logger, metrics: new MetricsRegistry(), version: "t" });
  service.host.registerStatus("targets", () => testTarget("a", "http://127.0.0.1:1"));
  service.host.registerStatus("targets", () => {
    throw new Error("broken");
  });
  for (let i = 0; i < 3; i++) {
    assertEquals(service.status().published, { targets: [testTarget("a", "http://127.0.0.1:1")] });
  }
  assertEquals(warnings, ["a status provider failed; its status is left out status=targets"]);
});
