import { assertEquals } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import {
  inferServiceName,
  SESSION_ID_LABEL,
  TENANT_LABEL,
  tenantOf,
  WIRE_INTERNAL_LABELS,
  wireLabels,
  withTenant,
} from "./mod.ts";

const base = LabelSet.from({ __name__: "process_cpu", service_name: "api" });

Deno.test("withTenant: the canonical label carries the tenant, whatever the alias", () => {
  assertEquals(TENANT_LABEL, "__tenant_id__");
  assertEquals(withTenant(base, "team-a").toRecord(), {
    __name__: "process_cpu",
    __tenant_id__: "team-a",
    service_name: "api",
  });
  const aliased = withTenant(base, "team-a", "__org__");
  assertEquals(aliased.toRecord(), {
    __name__: "process_cpu",
    __org__: "team-a",
    __tenant_id__: "team-a",
    service_name: "api",
  });
  assertEquals(tenantOf(aliased), "team-a");
  // A public alias is kept as a series label; the tenant still comes from the canonical one.
  assertEquals(tenantOf(withTenant(base, "team-b", "tenant")), "team-b");
  assertEquals(withTenant(base, "team-b", "tenant").get("tenant"), "team-b");
});

Deno.test("withTenant: no tenant removes labels a client set under either name", () => {
  const spoofed = base.merge({ __tenant_id__: "evil", __org__: "evil" });
  assertEquals(withTenant(spoofed, "", "__org__").toRecord(), base.toRecord());
  assertEquals(tenantOf(withTenant(spoofed, "", "__org__")), undefined);
  // Without an alias only the canonical label is the tenant's; other labels are the client's.
  assertEquals(withTenant(spoofed, "").toRecord(), base.merge({ __org__: "evil" }).toRecord());
});

/** Every kind of internal label an item can carry, and public ones (one with a single `_`). */
const pipelineLabels = LabelSet.from({
  __name__: "app",
  __delta__: "false",
  __session_id__: "s1",
  __tenant_id__: "t",
  __address__: "a:1",
  __meta_kubernetes_namespace: "ns",
  _single: "kept",
  env: "prod",
});

Deno.test("wireLabels: internal labels kept per item kind, every other __ label dropped", () => {
  const labels = pipelineLabels;
  assertEquals(wireLabels(labels, "push").toRecord(), {
    __name__: "app",
    __delta__: "false",
    _single: "kept",
    env: "prod",
  });
  assertEquals(wireLabels(labels, "ingest").toRecord(), {
    __name__: "app",
    __session_id__: "s1",
    _single: "kept",
    env: "prod",
  });
  assertEquals(WIRE_INTERNAL_LABELS, {
    push: ["__name__", "__delta__"],
    ingest: ["__name__", SESSION_ID_LABEL],
  });
});

/** Discovery metadata of every kind that can name a service. */
const everySource = LabelSet.from({
  __meta_kubernetes_pod_annotation_pyroscope_io_service_name: "annot",
  __meta_kubernetes_namespace: "ns",
  __meta_kubernetes_pod_container_name: "c",
  __meta_docker_container_name: "/docker",
  __meta_dockerswarm_container_label_service_name: "swarmlabel",
  __meta_dockerswarm_service_name: "swarm",
});

Deno.test("inferServiceName: first match wins, in docs/spec/pyroscope-wire.md §8.3 step 5 order", () => {
  let labels = everySource;
  const steps: [string, string | undefined][] = [
    ["__meta_kubernetes_pod_annotation_pyroscope_io_service_name", "ns/c"],
    ["__meta_kubernetes_pod_container_name", "/docker"],
    ["__meta_docker_container_name", "swarmlabel"],
    ["__meta_dockerswarm_container_label_service_name", "swarm"],
    ["__meta_dockerswarm_service_name", undefined],
  ];
  assertEquals(inferServiceName(labels), "annot");
  for (const [remove, expected] of steps) {
    labels = labels.without(remove);
    assertEquals(inferServiceName(labels), expected, `after removing ${remove}`);
  }
  // A namespace alone, or a container alone, names nothing.
  assertEquals(inferServiceName(LabelSet.from({ __meta_kubernetes_namespace: "ns" })), undefined);
  assertEquals(
    inferServiceName(LabelSet.from({ __meta_kubernetes_pod_container_name: "c" })),
    undefined,
  );
  assertEquals(inferServiceName(LabelSet.from({ service_name: "set" })), undefined);
});
