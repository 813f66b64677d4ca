/**
 * relabel → service_name → drop_internal_labels in a running service, on push and ingest
 * items; the ingest `name` written downstream reflects the new labels; a module processor that
 * throws gets its item counted as `processor_error` while other items flow on.
 */
import { assert, assertEquals, assertStrictEquals } from "./support/assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinFactories } from "../components.ts";
import { loadAndValidate } from "../core/config/mod.ts";
import type { IngestItem, PushItem } from "../core/items.ts";
import { LabelSet } from "../core/labels.ts";
import { Registry } from "../core/registry.ts";
import { Service } from "../core/service/mod.ts";
import { silentLogger } from "../core/telemetry/logger.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { instances, TestExporter, testFactories, TestReceiver } from "./support/test_factories.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const registry = new Registry([...builtinFactories, ...testFactories]);

const PROCESSORS = `
  relabel:
    rule:
      - source_labels: [env]
        regex: dev
        action: drop
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__name__]
        regex: (.+)\\.cpu
        target_label: __name__
        replacement: $1-renamed.cpu
  service_name: {}
  drop_internal_labels: {}
  module/throws:
    path: ${join(ROOT, "processors/module/testdata/throws.ts")}
    config: { tag: module }
`;

async function startService(exporterId: string, exporters: string, processors: string[]) {
  const text = `
receivers:
  test.receiver/in: {}
processors:${PROCESSORS}
exporters:
${exporters}
service:
  pipelines:
    profiles:
      receivers: [test.receiver/in]
      processors: [${processors.join(", ")}]
      exporters: [${exporterId}]
`;
  const config = loadAndValidate(["pipeline.yaml"], registry, {
    readFile: () => text,
    env: () => undefined,
  });
  instances.clear();
  const metrics = new MetricsRegistry();
  const service = new Service({ logger: silentLogger(), metrics, version: "t" });
  await service.start(config);
  const receiver = instances.get("test.receiver/in");
  assert(receiver instanceof TestReceiver);
  return { service, receiver, metrics };
}

const push = (labels: Record<string, string>): PushItem => ({
  kind: "push",
  labels: LabelSet.from(labels),
  samples: [{ rawProfile: new Uint8Array([0x1f, 0x8b, 8, 0]) }],
});

const ingest = (labels: Record<string, string>): IngestItem => ({
  kind: "ingest",
  labels: LabelSet.from(labels),
  body: new TextEncoder().encode("foo;bar 1\n"),
  contentType: ["text/plain"],
  query: [["format", "folded"], ["from", "1700000000"], ["spyName", "gospy"]],
});

Deno.test("pipeline: relabel, service_name, drop_internal_labels on push items", async () => {
  const { service, receiver } = await startService("test.exporter/out", "  test.exporter/out: {}", [
    "relabel",
    "service_name",
    "drop_internal_labels",
  ]);
  try {
    await receiver.push(push({
      __name__: "process_cpu",
      __address__: "10.0.0.1:6060",
      __meta_kubernetes_namespace: "shop",
      __meta_kubernetes_pod_container_name: "api",
      env: "prod",
    }));
    await receiver.push(push({ __name__: "memory", __delta__: "false", env: "dev" }));
    await receiver.push(push({ __name__: "memory", __delta__: "false", service_name: "given" }));
    const exporter = instances.get("test.exporter/out");
    assert(exporter instanceof TestExporter);
    assertEquals(exporter.items.map((item) => item.labels.toRecord()), [
      { __name__: "process_cpu", env: "prod", namespace: "shop", service_name: "shop/api" },
      { __name__: "memory", __delta__: "false", service_name: "given" },
    ]);
  } finally {
    await service.shutdown();
  }
});

Deno.test("pipeline: ingest items are relabeled and written with a rebuilt name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "profcol-pipeline-" });
  try {
    const { service, receiver } = await startService(
      "file",
      `  file:\n    directory: ${dir}\n`,
      ["relabel", "service_name", "drop_internal_labels"],
    );
    try {
      await receiver.push(ingest({ __name__: "app.cpu", __session_id__: "s1", region: "eu" }));
      await receiver.push(ingest({ __name__: "other.cpu", env: "dev" }));
    } finally {
      await service.shutdown();
    }
    const lines = Deno.readTextFileSync(join(dir, "index.jsonl")).trim().split("\n")
      .map((line) => JSON.parse(line));
    assertStrictEquals(lines.length, 1);
    const [line] = lines;
    assertEquals(line.labels, {
      __name__: "app-renamed.cpu",
      __session_id__: "s1",
      region: "eu",
      service_name: "unspecified",
    });
    assert(line.name.startsWith("app-renamed.cpu{"), line.name);
    assert(line.name.includes("region=eu") && line.name.includes("service_name=unspecified"));
    assertEquals(line.query, [["format", "folded"], ["from", "1700000000"], ["spyName", "gospy"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline: a module that throws drops only that item, counted as processor_error", async () => {
  const { service, receiver, metrics } = await startService(
    "test.exporter/out",
    "  test.exporter/out: {}",
    [
      "relabel",
      "module/throws",
    ],
  );
  try {
    await receiver.push(push({ service_name: "a", boom: "yes" }));
    await receiver.push(push({ service_name: "b" }));
    const exporter = instances.get("test.exporter/out");
    assert(exporter instanceof TestExporter);
    assertEquals(exporter.items.map((item) => item.labels.toRecord()), [
      { service_name: "b", tag: "module" },
    ]);
    const dropped = metrics.counter("profcol_processor_dropped_profiles_total", "", []);
    assertStrictEquals(
      dropped.get({ component_id: "module/throws", reason: "processor_error" }),
      1,
    );
  } finally {
    await service.shutdown();
  }
});
