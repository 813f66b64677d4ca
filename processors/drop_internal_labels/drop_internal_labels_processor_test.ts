import { assert, assertEquals, assertStrictEquals } from "../../tests/support/assert.ts";
import { parse as parseYaml } from "yaml";
import type { IngestItem, Item, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { dropInternalLabelsProcessorFactory } from "./mod.ts";

componentConformance(dropInternalLabelsProcessorFactory);

const dir = new URL("./", import.meta.url);

function create(config: unknown = {}) {
  const settings = testSettings("drop_internal_labels");
  const parsed = dropInternalLabelsProcessorFactory.configSchema.parse(config);
  return { processor: dropInternalLabelsProcessorFactory.create(settings, parsed), settings };
}

const labels = {
  __name__: "memory",
  __delta__: "false",
  __address__: "10.0.0.1:6060",
  __meta_kubernetes_namespace: "shop",
  __session_id__: "abc",
  _single: "kept",
  service_name: "api",
};

Deno.test("drop_internal_labels: removes __* except __name__ and __delta__ on push", async () => {
  const { processor } = create();
  const item: PushItem = { kind: "push", labels: LabelSet.from(labels), samples: [] };
  const out = (await processor.process(item)) as Item;
  assertEquals(out.labels.toRecord(), {
    __name__: "memory",
    __delta__: "false",
    _single: "kept",
    service_name: "api",
  });
});

Deno.test("drop_internal_labels: ingest keeps __session_id__ unless disabled", async () => {
  const item: IngestItem = {
    kind: "ingest",
    labels: LabelSet.from(labels),
    body: new Uint8Array(1),
    contentType: [],
    query: [],
  };
  const out = (await create().processor.process(item)) as Item;
  assertStrictEquals(out.labels.get("__session_id__"), "abc");
  assertStrictEquals(out.labels.get("__address__"), undefined);
  const off = (await create({ keep_ingest_session_id: false }).processor.process(item)) as Item;
  assertStrictEquals(off.labels.get("__session_id__"), undefined);
});

Deno.test("drop_internal_labels: custom keep list; unchanged items pass as is", async () => {
  const { processor } = create({ keep: ["__tenant_id__"] });
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ __tenant_id__: "t", __name__: "cpu", a: "1" }),
    samples: [],
  };
  assertEquals(((await processor.process(item)) as Item).labels.toRecord(), {
    __tenant_id__: "t",
    a: "1",
  });
  const clean: PushItem = { kind: "push", labels: LabelSet.from({ a: "1" }), samples: [] };
  assertStrictEquals(await processor.process(clean), clean);
});

Deno.test("drop_internal_labels: an item left without labels is dropped and counted", async () => {
  const { processor, settings } = create({ keep: [] });
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ __name__: "cpu" }),
    samples: [{ rawProfile: new Uint8Array(1) }],
  };
  assertStrictEquals(await processor.process(item), null);
  const counter = settings.metrics.counter(
    "profcol_drop_internal_labels_dropped_profiles_total",
    "",
    [],
  );
  assertStrictEquals(
    counter.get({ component_id: "drop_internal_labels", reason: "empty_labels" }),
    1,
  );
});

Deno.test("drop_internal_labels: testdata and README examples validate; typo is named", () => {
  const schema = dropInternalLabelsProcessorFactory.configSchema;
  const valid = parseYaml(Deno.readTextFileSync(new URL("testdata/valid.yaml", dir)));
  assert(schema.safeParse(valid.processors.drop_internal_labels).success);
  const typo = parseYaml(Deno.readTextFileSync(new URL("testdata/typo.yaml", dir)));
  const bad = schema.safeParse(typo.processors.drop_internal_labels);
  assert(!bad.success && bad.error.issues[0]?.message.includes("keep_labels"));
  const readme = Deno.readTextFileSync(new URL("README.md", dir));
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert(blocks.length > 0);
  for (const block of blocks) {
    const result = schema.safeParse(parseYaml(block).processors?.drop_internal_labels ?? {});
    assert(result.success, result.error?.message);
  }
});
