/**
 * `kubernetes_sd_configs` at Prometheus 3 level, over real HTTP against the API stand-in
 * (`support/kube_api.ts`): `attach_metadata.namespace` (namespace labels and annotations on
 * pod, service, endpoints and endpointslice groups, following namespace changes), the owner
 * metadata (`deployment`, `job`, `cronjob`) read from watched ReplicaSets and Jobs, a node
 * selector narrowing the pod role under `attach_metadata.node`, and the resources watched.
 * The label names and rules are those of Prometheus' `discovery/kubernetes` and its docs.
 */
import { assertEquals } from "./support/assert.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { kubernetesSdConfigSchema } from "../receivers/pyroscope_scrape/discovery/kubernetes/config.ts";
import { KubernetesDiscoverer } from "../receivers/pyroscope_scrape/discovery/kubernetes/kubernetes_sd.ts";
import type { TargetGroup } from "../receivers/pyroscope_scrape/discovery/target_group.ts";
import { type ApiObject, type KubeApi, podObject, startKubeApi } from "./support/kube_api.ts";

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a discoverer for `config` against `kube`; `latest()` is the last published groups. */
function discover(kube: KubeApi, config: Record<string, unknown>) {
  let groups: TargetGroup[] | undefined;
  const discoverer = new KubernetesDiscoverer(
    kubernetesSdConfigSchema.parse({ api_server: kube.url, ...config }),
    new Logger({ write: () => {} }),
    "profcol/test",
    { backoff: { initialMs: 20, maxMs: 50 } },
  );
  discoverer.start((g) => (groups = g));
  return {
    discoverer,
    latest: () => groups,
    group: (source: string) => groups?.find((g) => g.source === source),
  };
}

const namespace = (name: string, labels: Record<string, string>, annotations = {}) => ({
  metadata: { name, labels, annotations },
});

/** The namespace labels Prometheus adds for `namespace("shop", {team: "a"}, {owner: "x"})`. */
const shopMeta = {
  __meta_kubernetes_namespace_label_team: "a",
  __meta_kubernetes_namespace_labelpresent_team: "true",
  __meta_kubernetes_namespace_annotation_owner: "x",
  __meta_kubernetes_namespace_annotationpresent_owner: "true",
};

const pick = (labels: Record<string, string>, prefix: string) =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith(prefix)));

const service: ApiObject = {
  metadata: { name: "api", namespace: "shop" },
  spec: { type: "ClusterIP", clusterIP: "127.0.0.10", ports: [{ name: "http", port: 80 }] },
};

Deno.test("kubernetes_sd attach_metadata.namespace: namespace labels and annotations on every namespaced role, following changes", async () => {
  const kube = startKubeApi();
  kube.apply("namespaces", namespace("shop", { team: "a" }, { owner: "x" }));
  kube.apply("pods", podObject({ namespace: "shop", name: "api-1", ip: "127.0.0.2" }));
  kube.apply("services", service);
  kube.apply("endpoints", {
    metadata: { name: "api", namespace: "shop" },
    subsets: [{ addresses: [{ ip: "127.0.0.2" }], ports: [{ port: 8080 }] }],
  });
  kube.apply("endpointslices", {
    metadata: { name: "api-x", namespace: "shop", labels: { "kubernetes.io/service-name": "api" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["127.0.0.2"] }],
    ports: [{ port: 8080 }],
  });
  const runs = ["pod", "service", "endpoints", "endpointslice"].map((role) =>
    discover(kube, { role, attach_metadata: { namespace: true } })
  );
  const without = discover(kube, { role: "pod" });
  try {
    const sources = [
      "pod/shop/api-1",
      "svc/shop/api",
      "endpoints/shop/api",
      "endpointslice/shop/api-x",
    ];
    await until(() => runs.every((r, i) => r.group(sources[i]!) !== undefined), "all roles");
    await until(() => without.latest() !== undefined, "pods without namespace metadata");
    for (const [i, run] of runs.entries()) {
      const labels = run.group(sources[i]!)!.labels;
      assertEquals(labels.__meta_kubernetes_namespace, "shop", sources[i]);
      assertEquals(pick(labels, "__meta_kubernetes_namespace_"), shopMeta, sources[i]);
    }
    assertEquals(pick(without.group("pod/shop/api-1")!.labels, "__meta_kubernetes_namespace_"), {});
    // Only the configs that ask for it watch namespaces (cluster-wide: no namespace in the path),
    // and the four identical namespace watches are one (shared in the process).
    assertEquals(kube.lists("namespaces"), 1);
    assertEquals(
      kube.requests.filter((r) => r.path.includes("/namespaces/shop/namespaces")).length,
      0,
    );

    // A namespace relabelled later is followed by a watch event.
    kube.apply("namespaces", namespace("shop", { team: "b" }));
    await until(
      () => runs[0]!.group("pod/shop/api-1")?.labels.__meta_kubernetes_namespace_label_team === "b",
      "the namespace change",
    );
    assertEquals(pick(runs[0]!.group("pod/shop/api-1")!.labels, "__meta_kubernetes_namespace_"), {
      __meta_kubernetes_namespace_label_team: "b",
      __meta_kubernetes_namespace_labelpresent_team: "true",
    });
  } finally {
    await Promise.all([...runs, without].map((r) => r.discoverer.stop()));
    await kube.close();
  }
});

Deno.test("kubernetes_sd attach_metadata deployment/job/cronjob: the pod's owners, from watched ReplicaSets and Jobs", async () => {
  const kube = startKubeApi();
  const owned = (name: string, kind: string, owner: string) => {
    const pod = podObject({ namespace: "shop", name, ip: "127.0.0.2" });
    return {
      ...pod,
      metadata: { ...pod.metadata, ownerReferences: [{ kind, name: owner, controller: true }] },
    };
  };
  kube.apply("pods", owned("web-1", "ReplicaSet", "web-5d9"));
  kube.apply("pods", owned("backup-1", "Job", "backup-290"));
  kube.apply("pods", owned("migrate-1", "Job", "migrate"));
  kube.apply("replicasets", {
    metadata: {
      name: "web-5d9",
      namespace: "shop",
      ownerReferences: [{ kind: "Deployment", name: "web", controller: true }],
    },
  });
  kube.apply("jobs", {
    metadata: {
      name: "backup-290",
      namespace: "shop",
      ownerReferences: [{ kind: "CronJob", name: "backup", controller: true }],
    },
  });
  kube.apply("jobs", { metadata: { name: "migrate", namespace: "shop" } });
  const all = discover(kube, {
    role: "pod",
    attach_metadata: { deployment: true, job: true, cronjob: true },
  });
  const plain = discover(kube, { role: "pod" });
  const OWNER_LABELS: Record<string, string> = {
    deployment: "__meta_kubernetes_pod_deployment_name",
    job: "__meta_kubernetes_pod_job_name",
    cronjob: "__meta_kubernetes_pod_cronjob_name",
    controller_kind: "__meta_kubernetes_pod_controller_kind",
    controller_name: "__meta_kubernetes_pod_controller_name",
  };
  const owners = (run: ReturnType<typeof discover>, pod: string) => {
    const labels = run.group(`pod/shop/${pod}`)!.labels;
    return Object.fromEntries(
      Object.entries(OWNER_LABELS).flatMap(([key, name]) =>
        labels[name] === undefined ? [] : [[key, labels[name]]]
      ),
    );
  };
  try {
    await until(() => all.latest()?.length === 3 && plain.latest()?.length === 3, "the pods");
    assertEquals(owners(all, "web-1"), {
      deployment: "web",
      controller_kind: "ReplicaSet",
      controller_name: "web-5d9",
    });
    assertEquals(owners(all, "backup-1"), {
      job: "backup-290",
      cronjob: "backup",
      controller_kind: "Job",
      controller_name: "backup-290",
    });
    // A Job without a CronJob owner: the job name only.
    assertEquals(owners(all, "migrate-1"), {
      job: "migrate",
      controller_kind: "Job",
      controller_name: "migrate",
    });
    // Without the switches: the controller only, and ReplicaSets and Jobs are not watched.
    assertEquals(owners(plain, "web-1"), {
      controller_kind: "ReplicaSet",
      controller_name: "web-5d9",
    });
    assertEquals(owners(plain, "backup-1"), {
      controller_kind: "Job",
      controller_name: "backup-290",
    });
    assertEquals(kube.lists("replicasets"), 1);
    assertEquals(kube.lists("jobs"), 1);
  } finally {
    await Promise.all([all.discoverer.stop(), plain.discoverer.stop()]);
    await kube.close();
  }
});

Deno.test("kubernetes_sd pod role: a node selector with attach_metadata.node drops pods on the nodes it filters out", async () => {
  const kube = startKubeApi();
  const node = (name: string, pool: string) => ({
    metadata: { name, labels: { pool } },
    status: {
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  });
  kube.apply("nodes", node("node-a", "profiling"));
  kube.apply("nodes", node("node-b", "batch"));
  kube.apply(
    "pods",
    podObject({ namespace: "shop", name: "on-a", ip: "127.0.0.2", node: "node-a" }),
  );
  kube.apply(
    "pods",
    podObject({ namespace: "shop", name: "on-b", ip: "127.0.0.3", node: "node-b" }),
  );
  const run = discover(kube, {
    role: "pod",
    attach_metadata: { node: true },
    selectors: [{ role: "node", label: "pool=profiling" }],
  });
  const withTargets = () =>
    (run.latest() ?? []).filter((g) => g.targets.length > 0).map((g) => g.source);
  try {
    await until(() => run.latest()?.length === 2, "both pods' groups");
    assertEquals(withTargets(), ["pod/shop/on-a"]);
    assertEquals(run.group("pod/shop/on-a")!.labels.__meta_kubernetes_node_label_pool, "profiling");
    // The node moves into the pool: its pod is discovered.
    kube.apply("nodes", node("node-b", "profiling"));
    await until(() => withTargets().length === 2, "the pod on the node that joined the pool");
    assertEquals(withTargets(), ["pod/shop/on-a", "pod/shop/on-b"]);
  } finally {
    await run.discoverer.stop();
    await kube.close();
  }
});

Deno.test("kubernetes_sd node, service and endpointslice roles over the stand-in: node conditions, load-balancer ingress IPs, dual-stack slices of the primary family", async () => {
  const kube = startKubeApi();
  kube.apply("nodes", {
    metadata: { name: "node-a" },
    status: {
      conditions: [{ type: "Ready", status: "True" }, { type: "DiskPressure", status: "False" }],
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  });
  kube.apply("services", {
    metadata: { name: "api", namespace: "shop" },
    spec: {
      type: "LoadBalancer",
      clusterIP: "127.0.0.10",
      loadBalancerIP: "127.0.0.30",
      ipFamilyPolicy: "PreferDualStack",
      ipFamilies: ["IPv4", "IPv6"],
      ports: [{ name: "http", port: 80 }],
    },
    status: { loadBalancer: { ingress: [{ ip: "127.0.0.31" }, { ip: "127.0.0.32" }] } },
  });
  const slice = (name: string, addressType: string, address: string) => ({
    metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "api" } },
    addressType,
    endpoints: [{ addresses: [address] }],
    ports: [{ port: 8080 }],
  });
  kube.apply("endpointslices", slice("api-v4", "IPv4", "127.0.0.2"));
  kube.apply("endpointslices", slice("api-v6", "IPv6", "::1"));
  const nodes = discover(kube, { role: "node" });
  const services = discover(kube, { role: "service" });
  const slices = discover(kube, { role: "endpointslice" });
  try {
    await until(
      () => [nodes, services, slices].every((r) => (r.latest()?.length ?? 0) > 0),
      "all three roles",
    );
    await until(() => slices.latest()?.length === 2, "both slices");
    assertEquals(pick(nodes.group("node/node-a")!.labels, "__meta_kubernetes_node_condition_"), {
      __meta_kubernetes_node_condition_ready: "true",
      __meta_kubernetes_node_condition_diskpressure: "false",
    });
    assertEquals(
      services.group("svc/shop/api")!.targets[0]!.__meta_kubernetes_service_loadbalancer_ip,
      "127.0.0.31,127.0.0.32",
    );
    assertEquals(
      slices.latest()!.map((g) => [g.source, g.targets.map((t) => t.__address__)]),
      [["endpointslice/shop/api-v4", ["127.0.0.2:8080"]], ["endpointslice/shop/api-v6", []]],
    );
  } finally {
    await Promise.all([nodes, services, slices].map((r) => r.discoverer.stop()));
    await kube.close();
  }
});
