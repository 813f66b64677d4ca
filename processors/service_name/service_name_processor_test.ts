import { assert, assertEquals, assertStrictEquals } from "../../tests/support/assert.ts";
import type { IngestItem, Item, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { serviceNameProcessorFactory } from "./mod.ts";

componentConformance(serviceNameProcessorFactory);

function create(config: unknown = {}) {
  const settings = testSettings("service_name");
  const processor = serviceNameProcessorFactory.create(
    settings,
    serviceNameProcessorFactory.configSchema.parse(config),
  );
  return { processor, settings };
}

function push(labels: Record<string, string>): PushItem {
  return {
    kind: "push",
    labels: LabelSet.from(labels),
    samples: [{ rawProfile: new Uint8Array(1) }],
  };
}

async function nameOf(processor: { process(i: Item): unknown }, labels: Record<string, string>) {
  const out = (await processor.process(push(labels))) as Item;
  return out.labels.get("service_name");
}

Deno.test("service_name: inference order of pyroscope.scrape (spec 8.3 step 5)", async () => {
  const { processor } = create();
  const k8s = {
    __meta_kubernetes_pod_annotation_pyroscope_io_service_name: "annotated",
    __meta_kubernetes_namespace: "shop",
    __meta_kubernetes_pod_container_name: "api",
    __meta_docker_container_name: "/docker",
    __meta_dockerswarm_container_label_service_name: "swarm-label",
    __meta_dockerswarm_service_name: "swarm-service",
  };
  assertStrictEquals(await nameOf(processor, k8s), "annotated");
  const { __meta_kubernetes_pod_annotation_pyroscope_io_service_name: _, ...rest1 } = k8s;
  assertStrictEquals(await nameOf(processor, rest1), "shop/api");
  const { __meta_kubernetes_pod_container_name: _c, ...rest2 } = rest1;
  assertStrictEquals(await nameOf(processor, rest2), "/docker", "namespace alone is not enough");
  const { __meta_docker_container_name: _d, ...rest3 } = rest2;
  assertStrictEquals(await nameOf(processor, rest3), "swarm-label");
  const { __meta_dockerswarm_container_label_service_name: _s, ...rest4 } = rest3;
  assertStrictEquals(await nameOf(processor, rest4), "swarm-service");
  assertStrictEquals(await nameOf(processor, { __name__: "process_cpu" }), "unspecified");
});

Deno.test("service_name: existing service_name is kept and the item is passed as is", async () => {
  const { processor } = create({ source_labels: ["app"] });
  const item = push({ service_name: "mine", app: "other", __meta_kubernetes_namespace: "x" });
  assertStrictEquals(await processor.process(item), item);
});

Deno.test("service_name: source_labels come first; fallback is counted", async () => {
  const { processor, settings } = create({
    source_labels: ["app", "app_name"],
    fallback: "unknown_service",
  });
  assertStrictEquals(
    await nameOf(processor, { app_name: "b", __meta_docker_container_name: "/d" }),
    "b",
  );
  assertStrictEquals(await nameOf(processor, { app: "a", app_name: "b" }), "a");
  assertStrictEquals(await nameOf(processor, { __meta_docker_container_name: "/d" }), "/d");
  assertStrictEquals(await nameOf(processor, { x: "1" }), "unknown_service");
  const fallbacks = settings.metrics.counter("profcol_service_name_fallbacks_total", "", []);
  assertStrictEquals(fallbacks.get({ component_id: "service_name" }), 1);
  const inferred = settings.metrics.counter("profcol_service_name_inferred_total", "", []);
  assertStrictEquals(inferred.get({ component_id: "service_name" }), 3);
});

Deno.test("service_name: infer_from_metadata false and an empty fallback leave it absent", async () => {
  const { processor } = create({ infer_from_metadata: false, fallback: "" });
  const item = push({ __meta_docker_container_name: "/d" });
  assertStrictEquals(await processor.process(item), item);
});

Deno.test("service_name: ingest items keep their app name in __name__", async () => {
  const { processor } = create();
  const item: IngestItem = {
    kind: "ingest",
    labels: LabelSet.from({ __name__: "app.cpu", env: "prod" }),
    body: new Uint8Array(1),
    contentType: [],
    query: [],
  };
  const out = (await processor.process(item)) as IngestItem;
  assertEquals(out.labels.toRecord(), {
    __name__: "app.cpu",
    env: "prod",
    service_name: "unspecified",
  });
  assertStrictEquals(out.body, item.body);
});

Deno.test("service_name: an empty source label is named in the error", () => {
  const badName = serviceNameProcessorFactory.configSchema.safeParse({ source_labels: [""] });
  assert(!badName.success);
  assertStrictEquals(badName.error.issues[0]?.message, '"" is not a valid label name');
});
