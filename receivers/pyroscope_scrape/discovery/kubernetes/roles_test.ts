import { assertEquals, assertThrows } from "../../../../tests/support/assert.ts";
import { kubernetesSdConfigSchema } from "./config.ts";
import { fromKubeconfig } from "./connection.ts";
import {
  buildGroups,
  type Endpoints,
  type EndpointSlice,
  type Node,
  type Pod,
  type Service,
  type Stores,
} from "./roles.ts";

const pod: Pod = {
  metadata: {
    name: "api-1",
    namespace: "shop",
    uid: "u1",
    labels: { "app.kubernetes.io/name": "api" },
    annotations: { "profiles.grafana.com/cpu.scrape": "true" },
    ownerReferences: [{ kind: "ReplicaSet", name: "api-rs", controller: true }],
  },
  spec: {
    nodeName: "node-a",
    containers: [
      {
        name: "app",
        image: "app:1",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      },
      { name: "sidecar", image: "side:1" },
    ],
    initContainers: [{ name: "init", image: "init:1" }],
  },
  status: {
    phase: "Running",
    podIP: "127.0.0.2",
    hostIP: "127.0.0.1",
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [{ name: "app", containerID: "containerd://abc" }],
  },
};
const node: Node = {
  metadata: { name: "node-a", labels: { zone: "z1" }, annotations: { note: "n" } },
  spec: { providerID: "p://1" },
  status: {
    addresses: [{ type: "Hostname", address: "node-a" }, {
      type: "InternalIP",
      address: "127.0.0.1",
    }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
  },
};
const service: Service = {
  metadata: { name: "api", namespace: "shop", labels: { tier: "web" } },
  spec: {
    type: "ClusterIP",
    clusterIP: "127.0.0.10",
    ports: [{ name: "http", port: 80, protocol: "TCP", appProtocol: "http" }],
  },
};

function stores(parts: Partial<Record<keyof Stores, [string, unknown][]>>): Stores {
  const m = (k: keyof Stores) => new Map(parts[k] ?? []);
  return {
    pods: m("pods"),
    services: m("services"),
    nodes: m("nodes"),
    endpoints: m("endpoints"),
    endpointslices: m("endpointslices"),
  } as Stores;
}

const podMeta = {
  __meta_kubernetes_namespace: "shop",
  __meta_kubernetes_pod_name: "api-1",
  __meta_kubernetes_pod_ip: "127.0.0.2",
  __meta_kubernetes_pod_ready: "true",
  __meta_kubernetes_pod_phase: "Running",
  __meta_kubernetes_pod_node_name: "node-a",
  __meta_kubernetes_pod_host_ip: "127.0.0.1",
  __meta_kubernetes_pod_uid: "u1",
  __meta_kubernetes_pod_label_app_kubernetes_io_name: "api",
  __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: "true",
  __meta_kubernetes_pod_annotation_profiles_grafana_com_cpu_scrape: "true",
  __meta_kubernetes_pod_annotationpresent_profiles_grafana_com_cpu_scrape: "true",
  __meta_kubernetes_pod_controller_kind: "ReplicaSet",
  __meta_kubernetes_pod_controller_name: "api-rs",
};

Deno.test("pod role: Prometheus' labels; a target per port, per port-less container and init container", () => {
  const [group] = buildGroups("pod", stores({ pods: [["shop/api-1", pod]] }), {
    attachNode: false,
  });
  assertEquals(group!.source, "pod/shop/api-1");
  assertEquals(group!.labels, podMeta);
  assertEquals(group!.targets, [
    {
      __address__: "127.0.0.2:8080",
      __meta_kubernetes_pod_container_name: "app",
      __meta_kubernetes_pod_container_id: "containerd://abc",
      __meta_kubernetes_pod_container_image: "app:1",
      __meta_kubernetes_pod_container_port_name: "http",
      __meta_kubernetes_pod_container_port_number: "8080",
      __meta_kubernetes_pod_container_port_protocol: "TCP",
      __meta_kubernetes_pod_container_init: "false",
    },
    {
      __address__: "127.0.0.2",
      __meta_kubernetes_pod_container_name: "sidecar",
      __meta_kubernetes_pod_container_image: "side:1",
      __meta_kubernetes_pod_container_init: "false",
    },
    {
      __address__: "127.0.0.2",
      __meta_kubernetes_pod_container_name: "init",
      __meta_kubernetes_pod_container_image: "init:1",
      __meta_kubernetes_pod_container_init: "true",
    },
  ]);
  const withNode = buildGroups(
    "pod",
    stores({ pods: [["shop/api-1", pod]], nodes: [["node-a", node]] }),
    { attachNode: true },
  )[0]!;
  assertEquals(withNode.labels.__meta_kubernetes_node_name, "node-a");
  assertEquals(withNode.labels.__meta_kubernetes_node_label_zone, "z1");
  assertEquals(withNode.labels.__meta_kubernetes_node_annotationpresent_note, "true");
  const noIp = { ...pod, status: { phase: "Pending" } };
  assertEquals(
    buildGroups("pod", stores({ pods: [["a", noIp]] }), { attachNode: false })[0]!.targets,
    [],
  );
});

Deno.test("service and node roles: Prometheus' labels", () => {
  assertEquals(
    buildGroups("service", stores({ services: [["shop/api", service]] }), { attachNode: false }),
    [{
      source: "svc/shop/api",
      labels: {
        __meta_kubernetes_namespace: "shop",
        __meta_kubernetes_service_name: "api",
        __meta_kubernetes_service_label_tier: "web",
        __meta_kubernetes_service_labelpresent_tier: "true",
      },
      targets: [{
        __address__: "api.shop.svc:80",
        __meta_kubernetes_service_port_name: "http",
        __meta_kubernetes_service_port_number: "80",
        __meta_kubernetes_service_port_protocol: "TCP",
        __meta_kubernetes_service_port_app_protocol: "http",
        __meta_kubernetes_service_type: "ClusterIP",
        __meta_kubernetes_service_cluster_ip: "127.0.0.10",
      }],
    }],
  );
  assertEquals(buildGroups("node", stores({ nodes: [["node-a", node]] }), { attachNode: false }), [{
    source: "node/node-a",
    labels: {
      __meta_kubernetes_node_name: "node-a",
      __meta_kubernetes_node_label_zone: "z1",
      __meta_kubernetes_node_labelpresent_zone: "true",
      __meta_kubernetes_node_annotation_note: "n",
      __meta_kubernetes_node_annotationpresent_note: "true",
      __meta_kubernetes_node_provider_id: "p://1",
    },
    targets: [{
      __address__: "127.0.0.1:10250",
      instance: "node-a",
      __meta_kubernetes_node_address_Hostname: "node-a",
      __meta_kubernetes_node_address_InternalIP: "127.0.0.1",
    }],
  }]);
});

Deno.test("endpoints and endpointslice roles: endpoint, service, pod and container labels; uncovered pod ports", () => {
  const ref = { kind: "Pod", name: "api-1", namespace: "shop" };
  const endpoints: Endpoints = {
    metadata: { name: "api", namespace: "shop" },
    subsets: [{
      addresses: [{ ip: "127.0.0.2", nodeName: "node-a", targetRef: ref }],
      notReadyAddresses: [{ ip: "127.0.0.9" }],
      ports: [{ name: "web", port: 8080, protocol: "TCP" }],
    }],
  };
  const s = stores({ pods: [["shop/api-1", pod]], services: [["shop/api", service]] });
  const [eg] = buildGroups("endpoints", { ...s, endpoints: new Map([["shop/api", endpoints]]) }, {
    attachNode: false,
  });
  assertEquals(eg!.labels, {
    __meta_kubernetes_namespace: "shop",
    __meta_kubernetes_endpoints_name: "api",
    __meta_kubernetes_service_name: "api",
    __meta_kubernetes_service_label_tier: "web",
    __meta_kubernetes_service_labelpresent_tier: "true",
  });
  assertEquals(eg!.targets[0], {
    __address__: "127.0.0.2:8080",
    __meta_kubernetes_endpoint_port_name: "web",
    __meta_kubernetes_endpoint_port_protocol: "TCP",
    __meta_kubernetes_endpoint_ready: "true",
    __meta_kubernetes_endpoint_address_target_kind: "Pod",
    __meta_kubernetes_endpoint_address_target_name: "api-1",
    __meta_kubernetes_endpoint_node_name: "node-a",
    ...Object.fromEntries(
      Object.entries(podMeta).filter(([k]) => k !== "__meta_kubernetes_namespace"),
    ),
    __meta_kubernetes_pod_container_name: "app",
    __meta_kubernetes_pod_container_image: "app:1",
    __meta_kubernetes_pod_container_port_name: "http",
    __meta_kubernetes_pod_container_port_number: "8080",
    __meta_kubernetes_pod_container_port_protocol: "TCP",
    __meta_kubernetes_pod_container_init: "false",
  });
  assertEquals(eg!.targets[1], {
    __address__: "127.0.0.9:8080",
    __meta_kubernetes_endpoint_port_name: "web",
    __meta_kubernetes_endpoint_port_protocol: "TCP",
    __meta_kubernetes_endpoint_ready: "false",
  });
  assertEquals(eg!.targets.length, 2, "the pod's only container port is covered");

  const slice: EndpointSlice = {
    metadata: { name: "api-x", namespace: "shop", labels: { "kubernetes.io/service-name": "api" } },
    addressType: "IPv4",
    endpoints: [{
      addresses: ["127.0.0.2"],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: ref,
      nodeName: "node-a",
      zone: "z1",
    }],
    ports: [{ name: "metrics", port: 9090, protocol: "TCP" }],
  };
  const [sg] = buildGroups("endpointslice", {
    ...s,
    endpointslices: new Map([["shop/api-x", slice]]),
  }, { attachNode: false });
  assertEquals(sg!.labels.__meta_kubernetes_endpointslice_address_type, "IPv4");
  assertEquals(sg!.labels.__meta_kubernetes_endpointslice_label_kubernetes_io_service_name, "api");
  assertEquals(sg!.labels.__meta_kubernetes_service_name, "api");
  const t = sg!.targets[0]!;
  assertEquals(t.__address__, "127.0.0.2:9090");
  assertEquals(t.__meta_kubernetes_endpointslice_port, "9090");
  assertEquals(t.__meta_kubernetes_endpointslice_endpoint_conditions_ready, "true");
  assertEquals(t.__meta_kubernetes_endpointslice_endpoint_conditions_terminating, "false");
  assertEquals(t.__meta_kubernetes_endpointslice_endpoint_zone, "z1");
  assertEquals(t.__meta_kubernetes_endpointslice_address_target_name, "api-1");
  assertEquals(t.__meta_kubernetes_pod_container_name, undefined, "no container port 9090");
  // The pod's port 8080 was not covered by the slice: it gets its own target.
  assertEquals(sg!.targets[1]!.__address__, "127.0.0.2:8080");
  assertEquals(sg!.targets[1]!.__meta_kubernetes_pod_container_port_name, "http");
});

Deno.test("node role: every condition as node_condition_<type>, lowercased (Prometheus 3)", () => {
  const withConditions: Node = {
    ...node,
    status: {
      ...node.status,
      conditions: [
        { type: "Ready", status: "True" },
        { type: "MemoryPressure", status: "False" },
        { type: "Network.Unavailable", status: "Unknown" },
      ],
    },
  };
  const [group] = buildGroups("node", stores({ nodes: [["node-a", withConditions]] }), {
    attachNode: false,
  });
  assertEquals(
    Object.fromEntries(
      Object.entries(group!.labels).filter(([k]) => k.includes("_node_condition_")),
    ),
    {
      __meta_kubernetes_node_condition_ready: "true",
      __meta_kubernetes_node_condition_memorypressure: "false",
      __meta_kubernetes_node_condition_network_unavailable: "unknown",
    },
  );
  // Node metadata attached to pods carries the node's object metadata only, as in Prometheus.
  const [podGroup] = buildGroups(
    "pod",
    stores({ pods: [["shop/api-1", pod]], nodes: [["node-a", withConditions]] }),
    { attachNode: true },
  );
  assertEquals(podGroup!.labels.__meta_kubernetes_node_condition_ready, undefined);
});

Deno.test("service role: load_balancer_ip from status.loadBalancer.ingress, else spec.loadBalancerIP", () => {
  const lb = (spec: Record<string, unknown>, ingress?: { ip?: string; hostname?: string }[]) =>
    buildGroups(
      "service",
      stores({
        services: [["shop/api", {
          ...service,
          spec: { ...service.spec, type: "LoadBalancer", ...spec },
          ...(ingress ? { status: { loadBalancer: { ingress } } } : {}),
        }]],
      }),
      { attachNode: false },
    )[0]!.targets[0]!.__meta_kubernetes_service_loadbalancer_ip;
  assertEquals(
    lb({ loadBalancerIP: "127.0.0.30" }, [{ ip: "127.0.0.31" }, { hostname: "lb.example" }, {
      ip: "127.0.0.32",
    }]),
    "127.0.0.31,127.0.0.32",
  );
  assertEquals(lb({ loadBalancerIP: "127.0.0.30" }, [{ hostname: "lb.example" }]), "127.0.0.30");
  assertEquals(lb({ loadBalancerIP: "127.0.0.30" }), "127.0.0.30");
  assertEquals(lb({}), undefined);
});

Deno.test("endpointslice role: a dual-stack service's secondary-family slice yields no target", () => {
  const ref = { kind: "Pod", name: "api-1", namespace: "shop" };
  const slice = (name: string, addressType: string, address: string): EndpointSlice => ({
    metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "api" } },
    addressType,
    endpoints: [{ addresses: [address], targetRef: ref }],
    ports: [{ port: 8080 }],
  });
  const slices = new Map([
    ["shop/api-4", slice("api-4", "IPv4", "127.0.0.2")],
    ["shop/api-6", slice("api-6", "IPv6", "::1")],
  ]);
  const run = (spec: Record<string, unknown>) =>
    buildGroups("endpointslice", {
      ...stores({
        pods: [["shop/api-1", pod]],
        services: [["shop/api", { ...service, spec: { ...service.spec, ...spec } }]],
      }),
      endpointslices: slices,
    }, { attachNode: false }).map((g) => [g.source, g.targets.map((t) => t.__address__)]);
  for (const policy of ["PreferDualStack", "RequireDualStack"]) {
    assertEquals(run({ ipFamilyPolicy: policy, ipFamilies: ["IPv4", "IPv6"] }), [
      ["endpointslice/shop/api-4", ["127.0.0.2:8080"]],
      ["endpointslice/shop/api-6", []],
    ]);
  }
  assertEquals(run({ ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv6", "IPv4"] }), [
    ["endpointslice/shop/api-4", []],
    ["endpointslice/shop/api-6", ["[::1]:8080"]],
  ]);
  // Single-stack (or no policy): every slice counts, as before.
  assertEquals(run({ ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4"] }), [
    ["endpointslice/shop/api-4", ["127.0.0.2:8080"]],
    ["endpointslice/shop/api-6", ["[::1]:8080"]],
  ]);
});

Deno.test("config: Prometheus' checks with errors that name the fields", () => {
  const issues = (input: unknown) =>
    kubernetesSdConfigSchema.safeParse(input).error?.issues.map((i) => i.message) ?? [];
  assertEquals(issues({ role: "pod" }), []);
  assertEquals(kubernetesSdConfigSchema.parse({ role: "pod" }).namespaces, {
    own_namespace: false,
    names: [],
  });
  assertEquals(issues({ role: "ingress" }), [
    'kubernetes_sd_configs.role must be one of pod, endpoints, endpointslice, service, node, got "ingress" (the ingress role is not supported)',
  ]);
  assertEquals(issues({ role: "pod", selectors: [{ role: "service", label: "a=b" }] }), [
    'pod role supports only pod, node selectors, got "service"',
  ]);
  assertEquals(issues({ role: "endpoints", selectors: [{ role: "node", label: "a=b" }] }), [
    'endpoints role supports only pod, service, endpoints selectors, got "node"',
  ]);
  assertEquals(
    kubernetesSdConfigSchema.parse({ role: "pod", attach_metadata: { namespace: true } })
      .attach_metadata,
    { node: false, namespace: true, deployment: false, job: false, cronjob: false },
  );
  assertEquals(issues({ role: "pod", attach_metadata: { namespaces: true } }), [
    'Unrecognized key: "namespaces"',
  ]);
  assertEquals(issues({ role: "pod", selectors: [{ role: "pod" }, { role: "pod" }] }), [
    "duplicated selector role pod",
  ]);
  assertEquals(issues({ role: "pod", api_server: "http://127.0.0.1:1", kubeconfig_file: "k" }), [
    "api_server and kubeconfig_file are mutually exclusive; set one",
  ]);
  assertEquals(issues({ role: "node", bearer_token: "x" }), [
    "custom HTTP client options need api_server; in-cluster discovery uses the service-account token and CA",
  ]);
});

Deno.test("kubeconfig: current context's server, CA data, token file and client cert; exec is refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/config`;
    const b64 = (s: string) => btoa(s);
    Deno.writeTextFileSync(
      file,
      `apiVersion: v1
current-context: dev
contexts:
  - name: other
    context: { cluster: nope, user: nope }
  - name: dev
    context: { cluster: c, user: u }
clusters:
  - name: c
    cluster: { server: "https://127.0.0.1:6443/", certificate-authority-data: ${b64("CA")} }
users:
  - name: u
    user: { tokenFile: token, client-certificate-data: ${b64("CERT")}, client-key: key.pem }
`,
    );
    const c = fromKubeconfig(file);
    assertEquals(c.server, "https://127.0.0.1:6443");
    assertEquals(c.client.bearer_token_file, `${dir}/token`);
    assertEquals(c.client.tls_config, {
      insecure_skip_verify: false,
      ca_pem: "CA",
      cert_pem: "CERT",
      key_file: `${dir}/key.pem`,
    });
    Deno.writeTextFileSync(
      file,
      `current-context: dev
contexts: [{ name: dev, context: { cluster: c, user: u } }]
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]
users: [{ name: u, user: { exec: { command: aws } } }]
`,
    );
    assertThrows(
      () => fromKubeconfig(file),
      Error,
      `kubeconfig ${file}: user exec is not supported; use a token, tokenFile or a client certificate (e.g. a service-account token)`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
