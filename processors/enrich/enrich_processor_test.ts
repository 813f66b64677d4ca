import { assertEquals, assertStrictEquals } from "../../tests/support/assert.ts";
import { z } from "zod";
import type { DiscoveredTarget, DiscoveryProvider } from "../../core/discovery.ts";
import type { IngestItem, Item, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { enrichProcessorFactory } from "./mod.ts";

/** A discovery stand-in: static `targets`, and `publish` to change them later. */
function fakeDiscovery() {
  let update: (targets: readonly DiscoveredTarget[]) => void = () => {};
  const state = { started: 0, stopped: 0 };
  const provider: DiscoveryProvider = {
    configShape: { targets: z.array(z.record(z.string(), z.string())).default([]) },
    start(config, _context, onUpdate) {
      state.started++;
      update = onUpdate;
      onUpdate(config.targets as DiscoveredTarget[]);
      return Promise.resolve({
        stop: () => {
          state.stopped++;
          return Promise.resolve();
        },
      });
    },
  };
  return { provider, state, publish: (t: DiscoveredTarget[]) => update(t) };
}

componentConformance(enrichProcessorFactory(fakeDiscovery().provider));

async function started(config: Record<string, unknown>) {
  const discovery = fakeDiscovery();
  const factory = enrichProcessorFactory(discovery.provider);
  const settings = testSettings("enrich");
  const processor = factory.create(settings, factory.configSchema.parse(config));
  await processor.start();
  return { processor, discovery, settings };
}

const push = (labels: Record<string, string>): PushItem => ({
  kind: "push",
  labels: LabelSet.from(labels),
  samples: [{ rawProfile: new Uint8Array(1) }],
});

const labelsOf = (item: Item | null) => item?.labels.toRecord();

const pods = [
  {
    __address__: "127.0.0.2:8080",
    __meta_kubernetes_pod_ip: "127.0.0.2",
    pod_ip: "127.0.0.2",
    namespace: "shop",
    team: "payments",
    empty: "",
  },
  { __address__: "127.0.0.3:8080", pod_ip: "127.0.0.3", namespace: "ops", team: "infra" },
];

Deno.test("enrich: every public label of the matching target is copied; others pass unchanged", async () => {
  const { processor, settings } = await started({ targets: pods, target_match_label: "pod_ip" });
  try {
    assertEquals(labelsOf(await processor.process(push({ pod_ip: "127.0.0.2", team: "x" }))), {
      pod_ip: "127.0.0.2",
      namespace: "shop",
      team: "payments",
    });
    const stranger = push({ pod_ip: "127.0.0.9", service_name: "a" });
    assertStrictEquals(await processor.process(stranger), stranger);
    const unlabelled = push({ service_name: "a" });
    assertStrictEquals(await processor.process(unlabelled), unlabelled);
    const m = settings.metrics;
    const id = { component_id: "enrich" };
    assertEquals([
      m.counter("profcol_enrich_profiles_enriched_total", "", ["component_id"]).get(id),
      m.counter("profcol_enrich_profiles_unmatched_total", "", ["component_id"]).get(id),
      m.gauge("profcol_enrich_targets", "", ["component_id"]).get(id),
    ], [1, 2, 2]);
  } finally {
    await processor.shutdown();
  }
});

Deno.test("enrich: profiles_match_label and labels_to_copy (internal labels only when named)", async () => {
  const { processor } = await started({
    targets: pods,
    target_match_label: "__meta_kubernetes_pod_ip",
    profiles_match_label: "ip",
    labels_to_copy: ["namespace", "__address__", "missing"],
  });
  try {
    const ingest: IngestItem = {
      kind: "ingest",
      labels: LabelSet.from({ __name__: "app", ip: "127.0.0.2" }),
      body: new Uint8Array(1),
      contentType: [],
      query: new URLSearchParams(),
    } as unknown as IngestItem;
    assertEquals(labelsOf(await processor.process(ingest)), {
      __address__: "127.0.0.2:8080",
      __name__: "app",
      ip: "127.0.0.2",
      namespace: "shop",
    });
    // The second target has no __meta_kubernetes_pod_ip: it cannot match.
    assertEquals(labelsOf(await processor.process(push({ ip: "127.0.0.3" }))), { ip: "127.0.0.3" });
  } finally {
    await processor.shutdown();
  }
});

Deno.test("enrich: follows discovery changes; the first target of a shared match value wins", async () => {
  const { processor, discovery } = await started({ targets: [], target_match_label: "pod_ip" });
  try {
    const profile = push({ pod_ip: "127.0.0.2" });
    assertStrictEquals(await processor.process(profile), profile);
    discovery.publish([
      { pod_ip: "127.0.0.2", team: "first" },
      { pod_ip: "127.0.0.2", team: "second" },
    ]);
    assertEquals(labelsOf(await processor.process(profile)), {
      pod_ip: "127.0.0.2",
      team: "first",
    });
    discovery.publish([]);
    assertStrictEquals(await processor.process(profile), profile);
  } finally {
    await processor.shutdown();
    await processor.shutdown();
    assertEquals(discovery.state, { started: 1, stopped: 1 });
  }
});

Deno.test("enrich: config names the field at fault", () => {
  const schema = enrichProcessorFactory(fakeDiscovery().provider).configSchema;
  const messages = (input: unknown) =>
    schema.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assertEquals(messages({}), ["target_match_label: target_match_label must be a label name"]);
  assertEquals(messages({ target_match_label: "" }), [
    'target_match_label: target_match_label: "" is not a valid label name',
  ]);
  assertEquals(messages({ target_match_label: "a", labels_to_copy: "b" }), [
    "labels_to_copy: labels_to_copy must be a list of label names",
  ]);
});
