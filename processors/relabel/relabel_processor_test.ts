import { assert, assertEquals, assertStrictEquals } from "../../tests/support/assert.ts";
import { parse as parseYaml } from "yaml";
import type { IngestItem, Item, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { relabelProcessorFactory } from "./mod.ts";
import { LruCache } from "./lru.ts";

componentConformance(relabelProcessorFactory, {
  config: { rule: [{ source_labels: ["env"], regex: "dev", action: "drop" }] },
});

const dir = new URL("./", import.meta.url);

function processorFrom(config: unknown, settings = testSettings("relabel/test")) {
  const parsed = relabelProcessorFactory.configSchema.parse(config);
  return { processor: relabelProcessorFactory.create(settings, parsed), settings };
}

function push(labels: Record<string, string>): PushItem {
  return {
    kind: "push",
    labels: LabelSet.from(labels),
    samples: [{ rawProfile: new Uint8Array([1, 2, 3]) }, { rawProfile: new Uint8Array([4]) }],
  };
}

function ingest(labels: Record<string, string>): IngestItem {
  return {
    kind: "ingest",
    labels: LabelSet.from(labels),
    body: new Uint8Array([9, 9]),
    contentType: ["application/octet-stream"],
    query: [["format", "pprof"], ["spyName", "nodespy"]],
  };
}

Deno.test("relabel processor: testdata/valid.yaml validates, typo.yaml names the key", () => {
  const valid = parseYaml(Deno.readTextFileSync(new URL("testdata/valid.yaml", dir)));
  const result = relabelProcessorFactory.configSchema.safeParse(valid.processors["relabel/k8s"]);
  assert(result.success, result.error?.message);
  assertStrictEquals(result.data.rule.length, 6);
  assertStrictEquals(result.data.max_cache_size, 5000);
  const typo = parseYaml(Deno.readTextFileSync(new URL("testdata/typo.yaml", dir)));
  const bad = relabelProcessorFactory.configSchema.safeParse(typo.processors.relabel);
  assert(!bad.success);
  assertEquals(bad.error.issues[0]?.path, ["rule", 0]);
  assert(bad.error.issues[0]?.message.includes("regexp"), bad.error.issues[0]?.message);
});

Deno.test("relabel processor: rewrites push labels, shares the samples", async () => {
  const { processor } = processorFrom({
    rule: [{ source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" }],
  });
  const item = push({ __meta_kubernetes_namespace: "shop", service_name: "api" });
  const out = (await processor.process(item)) as PushItem;
  assertEquals(out.labels.toRecord(), {
    __meta_kubernetes_namespace: "shop",
    namespace: "shop",
    service_name: "api",
  });
  assertStrictEquals(out.samples, item.samples);
  assertEquals(item.labels.get("namespace"), undefined, "the input item is not mutated");
});

Deno.test("relabel processor: ingest items get new labels (the app name is __name__)", async () => {
  const { processor } = processorFrom({
    rule: [
      {
        source_labels: ["__name__"],
        regex: "(.*)\\.cpu",
        target_label: "__name__",
        replacement: "$1.itimer",
      },
      { target_label: "env", replacement: "prod" },
    ],
  });
  const item = ingest({ __name__: "app.cpu", region: "eu" });
  const out = (await processor.process(item)) as IngestItem;
  assertStrictEquals(out.kind, "ingest");
  assertEquals(out.labels.toRecord(), { __name__: "app.itimer", env: "prod", region: "eu" });
  assertStrictEquals(out.body, item.body);
  assertStrictEquals(out.query, item.query);
});

Deno.test("relabel processor: drops by rule and when nothing is left, every time", async () => {
  const { processor, settings } = processorFrom({
    rule: [
      { source_labels: ["env"], regex: "dev", action: "drop" },
      { regex: "tmp_.*", action: "labeldrop" },
    ],
  });
  for (let i = 0; i < 2; i++) {
    assertStrictEquals(await processor.process(push({ env: "dev", service_name: "a" })), null);
    // Alloy forwards an empty set the first time; we always drop it.
    assertStrictEquals(await processor.process(push({ tmp_a: "1" })), null);
  }
  assertStrictEquals(await processor.process(ingest({})), null);
  // Per item (Alloy's unit): 4 pushes dropped by rules, 1 upload with no label.
  const dropped = settings.metrics.counter("pyroscope_relabel_profiles_dropped", "", []);
  assertStrictEquals(dropped.get({ component_id: "relabel/test", reason: "rule" }), 4);
  assertStrictEquals(dropped.get({ component_id: "relabel/test", reason: "empty_labels" }), 1);
  const processed = settings.metrics.counter("pyroscope_relabel_profiles_processed", "", []);
  assertStrictEquals(processed.get({ component_id: "relabel/test" }), 5);
});

Deno.test("relabel processor: cache hits, misses and size", async () => {
  const { processor, settings } = processorFrom({
    max_cache_size: 2,
    rule: [{ source_labels: ["a"], target_label: "b" }],
  });
  const items: Item[] = [
    push({ a: "1" }),
    push({ a: "1" }),
    push({ a: "2" }),
    push({ a: "3" }),
    push({ a: "1" }),
  ];
  const results = [];
  for (const item of items) results.push((await processor.process(item))?.labels.get("b"));
  assertEquals(results, ["1", "1", "2", "3", "1"]);
  const m = settings.metrics;
  const id = { component_id: "relabel/test" };
  assertStrictEquals(m.counter("pyroscope_relabel_cache_hits", "", []).get(id), 1);
  assertStrictEquals(m.counter("pyroscope_relabel_cache_misses", "", []).get(id), 4);
  assertStrictEquals(m.gauge("pyroscope_relabel_cache_size", "", []).get(id), 2);
  await processor.shutdown();
  assertStrictEquals(m.gauge("pyroscope_relabel_cache_size", "", []).get(id), 0);
});

Deno.test("relabel processor: max_cache_size 0 disables the cache", async () => {
  const { processor, settings } = processorFrom({ max_cache_size: 0, rule: [] });
  await processor.process(push({ a: "1" }));
  await processor.process(push({ a: "1" }));
  assertStrictEquals(
    settings.metrics.counter("pyroscope_relabel_cache_hits", "", []).get({
      component_id: "relabel/test",
    }),
    0,
  );
});

Deno.test("relabel processor: config errors name the rule index and field", () => {
  const result = relabelProcessorFactory.configSchema.safeParse({
    rule: [{ target_label: "a" }, { action: "hashmod", target_label: "shard" }],
  });
  assert(!result.success);
  assertEquals(result.error.issues[0]?.path, ["rule", 1, "modulus"]);
  assertStrictEquals(
    result.error.issues[0]?.message,
    "relabel configuration for hashmod requires non-zero modulus",
  );
  const size = relabelProcessorFactory.configSchema.safeParse({ max_cache_size: "big" });
  assert(!size.success);
  assertStrictEquals(
    size.error.issues[0]?.message,
    'Expected a whole number of 0 or more, got "big"',
  );
});

Deno.test("lru: evicts the least recently used entry", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1);
  cache.set("b", 2);
  assertStrictEquals(cache.get("a"), 1);
  cache.set("c", 3);
  assertStrictEquals(cache.has("b"), false);
  assertStrictEquals(cache.has("a"), true);
  assertStrictEquals(cache.size, 2);
});

Deno.test("relabel processor: Alloy's pyroscope_relabel_* metrics, per item, and no profcol twin", async () => {
  const { processor, settings } = processorFrom({
    max_cache_size: 2,
    rule: [{ source_labels: ["env"], regex: "dev", action: "drop" }],
  });
  // Two push items of two profiles each and one upload: 3 processed, 1 dropped, 2 written.
  await processor.process(push({ env: "prod", service_name: "a" }));
  await processor.process(push({ env: "dev", service_name: "a" }));
  await processor.process(ingest({ env: "prod", service_name: "a" }));
  const families = settings.metrics.render().split("\n").filter((line) =>
    /^(# TYPE )?(pyroscope|profcol)_relabel_/.test(line)
  );
  const id = '{component_id="relabel.test",component_path="/"}';
  assertEquals(families, [
    "# TYPE pyroscope_relabel_profiles_processed counter",
    `pyroscope_relabel_profiles_processed${id} 3`,
    "# TYPE pyroscope_relabel_profiles_written counter",
    `pyroscope_relabel_profiles_written${id} 2`,
    "# TYPE pyroscope_relabel_profiles_dropped counter",
    `pyroscope_relabel_profiles_dropped{component_id="relabel.test",component_path="/",reason="rule"} 1`,
    "# TYPE pyroscope_relabel_cache_hits counter",
    `pyroscope_relabel_cache_hits${id} 1`,
    "# TYPE pyroscope_relabel_cache_misses counter",
    `pyroscope_relabel_cache_misses${id} 2`,
    "# TYPE pyroscope_relabel_cache_size gauge",
    `pyroscope_relabel_cache_size${id} 2`,
  ]);
});
