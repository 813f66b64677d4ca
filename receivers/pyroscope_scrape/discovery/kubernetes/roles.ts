/**
 * Kubernetes objects → target groups with exactly Prometheus' `__meta_kubernetes_*` labels per
 * role (`discovery/kubernetes` `pod.go`, `service.go`, `node.go`, `endpoints.go`,
 * `endpointslice.go`), plus the API resources each role watches ({@linkcode ROLE_RESOURCES},
 * which the RBAC manifests are checked against).
 *
 * @module
 */

import type { TargetGroup } from "../target_group.ts";
import type { KubernetesRole } from "./config.ts";

/** A watched API resource. */
export interface KubeResource {
  /** Plural resource name (RBAC `resources`). */
  readonly name:
    | "pods"
    | "services"
    | "nodes"
    | "endpoints"
    | "endpointslices"
    | "namespaces"
    | "replicasets"
    | "jobs";
  /** API group (RBAC `apiGroups`; `""` is the core group). */
  readonly group: "" | "discovery.k8s.io" | "apps" | "batch";
  /** Path prefix: `/api/v1` or `/apis/<group>/v1`. */
  readonly prefix: string;
  readonly namespaced: boolean;
}

const R = {
  pods: { name: "pods", group: "", prefix: "/api/v1", namespaced: true },
  services: { name: "services", group: "", prefix: "/api/v1", namespaced: true },
  nodes: { name: "nodes", group: "", prefix: "/api/v1", namespaced: false },
  endpoints: { name: "endpoints", group: "", prefix: "/api/v1", namespaced: true },
  endpointslices: {
    name: "endpointslices",
    group: "discovery.k8s.io",
    prefix: "/apis/discovery.k8s.io/v1",
    namespaced: true,
  },
  namespaces: { name: "namespaces", group: "", prefix: "/api/v1", namespaced: false },
  replicasets: { name: "replicasets", group: "apps", prefix: "/apis/apps/v1", namespaced: true },
  jobs: { name: "jobs", group: "batch", prefix: "/apis/batch/v1", namespaced: true },
} as const satisfies Record<string, KubeResource>;

/** `attach_metadata`: which extra objects are watched to label targets (Prometheus' names). */
export interface AttachMetadata {
  readonly node?: boolean;
  readonly namespace?: boolean;
  readonly deployment?: boolean;
  readonly job?: boolean;
  readonly cronjob?: boolean;
}

/**
 * Resources a role lists and watches, and which `attach_metadata` switches apply to it (as in
 * Prometheus: node metadata on pod-bearing roles, namespace metadata on every namespaced role,
 * owner metadata wherever pod labels appear).
 */
export const ROLE_RESOURCES: Readonly<
  Record<
    KubernetesRole,
    {
      readonly always: readonly KubeResource[];
      readonly attachNode: boolean;
      readonly attachNamespace: boolean;
      readonly attachOwners: boolean;
    }
  >
> = {
  pod: { always: [R.pods], attachNode: true, attachNamespace: true, attachOwners: true },
  service: { always: [R.services], attachNode: false, attachNamespace: true, attachOwners: false },
  node: { always: [R.nodes], attachNode: false, attachNamespace: false, attachOwners: false },
  endpoints: {
    always: [R.endpoints, R.services, R.pods],
    attachNode: true,
    attachNamespace: true,
    attachOwners: true,
  },
  endpointslice: {
    always: [R.endpointslices, R.services, R.pods],
    attachNode: true,
    attachNamespace: true,
    attachOwners: true,
  },
};

/** What `attach_metadata` really does for `role` (switches a role ignores are off). */
export function effectiveAttach(role: KubernetesRole, attach: AttachMetadata): BuildOptions {
  const spec = ROLE_RESOURCES[role];
  return {
    attachNode: spec.attachNode && attach.node === true,
    attachNamespace: spec.attachNamespace && attach.namespace === true,
    attachDeployment: spec.attachOwners && attach.deployment === true,
    attachJob: spec.attachOwners && attach.job === true,
    attachCronJob: spec.attachOwners && attach.cronjob === true,
  };
}

/** The resources one config watches. */
export function resourcesOf(role: KubernetesRole, attach: AttachMetadata): KubeResource[] {
  const on = effectiveAttach(role, attach);
  const out: KubeResource[] = [...ROLE_RESOURCES[role].always];
  if (on.attachNode) out.push(R.nodes);
  if (on.attachNamespace) out.push(R.namespaces);
  if (on.attachDeployment) out.push(R.replicasets);
  if (on.attachJob || on.attachCronJob) out.push(R.jobs);
  return out;
}

/** Which selector role applies to a resource (none for namespaces and owners, as Prometheus). */
export function selectorRoleOf(resource: KubeResource["name"]): KubernetesRole | undefined {
  switch (resource) {
    case "pods":
      return "pod";
    case "services":
      return "service";
    case "nodes":
      return "node";
    case "endpoints":
      return "endpoints";
    case "endpointslices":
      return "endpointslice";
    case "namespaces":
    case "replicasets":
    case "jobs":
      return undefined;
  }
}

// --- The parts of the API objects discovery reads -----------------------------------------

/** Object metadata. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** An owner reference; the one with `controller: true` is the object's controller. */
export interface OwnerReference {
  kind?: string;
  name?: string;
  controller?: boolean;
}

/** Any API object. */
export interface KubeObject {
  metadata: ObjectMeta;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}
interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
}
interface ContainerStatus {
  name: string;
  containerID?: string;
}

/** A Pod. */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** A Service. */
export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    loadBalancerIP?: string;
    ipFamilyPolicy?: string;
    ipFamilies?: string[];
    ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** A Node. */
export interface Node extends KubeObject {
  spec?: { providerID?: string };
  status?: {
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

interface ObjectRef {
  kind?: string;
  name?: string;
  namespace?: string;
}
interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectRef;
}
interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** An Endpoints object. */
export interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: EndpointPort[];
  }[];
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    hostname?: string;
    targetRef?: ObjectRef;
    nodeName?: string;
    zone?: string;
    deprecatedTopology?: Record<string, string>;
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

/** The objects a role's groups are built from, keyed `namespace/name` (nodes: `name`). */
export interface Stores {
  readonly pods: ReadonlyMap<string, Pod>;
  readonly services: ReadonlyMap<string, Service>;
  readonly nodes: ReadonlyMap<string, Node>;
  readonly endpoints: ReadonlyMap<string, Endpoints>;
  readonly endpointslices: ReadonlyMap<string, EndpointSlice>;
  /** Namespaces by name (`attach_metadata.namespace`). */
  readonly namespaces?: ReadonlyMap<string, KubeObject>;
  /** ReplicaSets (`attach_metadata.deployment`) and Jobs (`job`, `cronjob`), `namespace/name`. */
  readonly replicasets?: ReadonlyMap<string, KubeObject>;
  readonly jobs?: ReadonlyMap<string, KubeObject>;
}

/** The store key of an object. */
export function objectKey(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

// --- Labels --------------------------------------------------------------------------------

type Labels = Record<string, string>;
const P = "__meta_kubernetes_";

/** Prometheus' `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]` → `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_");
}

/** Sets a label unless the value is empty (an empty label is no label). */
function set(labels: Labels, name: string, value: string | undefined): void {
  if (value !== undefined && value !== "") labels[name] = value;
}

/** `addObjectMetaLabels`: `<role>_name`, labels and annotations with their `…present` twins. */
function objectMetaLabels(out: Labels, meta: ObjectMeta, role: string): void {
  set(out, `${P}${role}_name`, meta.name);
  labelsAndAnnotations(out, meta, role);
}

/** `<kind>_label_*`, `_labelpresent_*`, `_annotation_*`, `_annotationpresent_*`. */
function labelsAndAnnotations(out: Labels, meta: ObjectMeta, role: string): void {
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    const n = sanitizeLabelName(k);
    set(out, `${P}${role}_label_${n}`, v);
    out[`${P}${role}_labelpresent_${n}`] = "true";
  }
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    const n = sanitizeLabelName(k);
    set(out, `${P}${role}_annotation_${n}`, v);
    out[`${P}${role}_annotationpresent_${n}`] = "true";
  }
}

function podReady(pod: Pod): string {
  const c = pod.status?.conditions?.find((c) => c.type === "Ready");
  return c ? c.status.toLowerCase() : "unknown";
}

function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((r) => r.controller === true);
}

/** `podLabels`: pod-level meta labels (without the namespace). */
export function podLabels(pod: Pod, stores?: Stores, opts?: BuildOptions): Labels {
  const out: Labels = {};
  set(out, `${P}pod_ip`, pod.status?.podIP);
  out[`${P}pod_ready`] = podReady(pod);
  set(out, `${P}pod_phase`, pod.status?.phase);
  set(out, `${P}pod_node_name`, pod.spec?.nodeName);
  set(out, `${P}pod_host_ip`, pod.status?.hostIP);
  set(out, `${P}pod_uid`, pod.metadata.uid);
  objectMetaLabels(out, pod.metadata, "pod");
  const controller = controllerOf(pod.metadata);
  if (controller) {
    set(out, `${P}pod_controller_kind`, controller.kind);
    set(out, `${P}pod_controller_name`, controller.name);
    if (opts && stores) ownerLabels(out, pod, controller, stores, opts);
  }
  return out;
}

/**
 * `attach_metadata.deployment`/`job`/`cronjob`: the Deployment behind the pod's ReplicaSet, the
 * pod's Job, and the CronJob behind that Job, each only when the watched owner is known.
 */
function ownerLabels(
  out: Labels,
  pod: Pod,
  controller: OwnerReference,
  stores: Stores,
  opts: BuildOptions,
): void {
  const ns = pod.metadata.namespace ?? "";
  const ownerOf = (store: ReadonlyMap<string, KubeObject> | undefined, kind: string) => {
    const owner = store?.get(`${ns}/${controller.name}`);
    const next = owner ? controllerOf(owner.metadata) : undefined;
    return next?.kind === kind ? next.name : undefined;
  };
  if (controller.kind === "ReplicaSet" && opts.attachDeployment) {
    set(out, `${P}pod_deployment_name`, ownerOf(stores.replicasets, "Deployment"));
  }
  if (controller.kind === "Job") {
    if (opts.attachJob) set(out, `${P}pod_job_name`, controller.name);
    if (opts.attachCronJob) set(out, `${P}pod_cronjob_name`, ownerOf(stores.jobs, "CronJob"));
  }
}

/** `attach_metadata.namespace`: the namespace's labels and annotations (its name is set already). */
function withNamespace(labels: Labels, stores: Stores, opts: BuildOptions, ns: string): Labels {
  if (!opts.attachNamespace) return labels;
  const namespace = stores.namespaces?.get(ns);
  if (!namespace) return labels;
  const out = { ...labels };
  labelsAndAnnotations(out, namespace.metadata, "namespace");
  return out;
}

function nodeMetaLabels(node: Node): Labels {
  const out: Labels = {};
  objectMetaLabels(out, node.metadata, "node");
  return out;
}

/** `addNodeLabels` (attach_metadata.node): the node's name, labels and annotations. */
function withNode(target: Labels, stores: Stores, nodeName: string | undefined): Labels {
  if (!nodeName) return target;
  const node = stores.nodes.get(nodeName);
  if (!node) return target;
  return { ...target, ...nodeMetaLabels(node) };
}

function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function hostPort(host: string, port: number | undefined): string {
  return port === undefined ? host : joinHostPort(host, port);
}

function containerLabels(c: Container, isInit: boolean, port?: ContainerPort): Labels {
  const out: Labels = {};
  set(out, `${P}pod_container_name`, c.name);
  set(out, `${P}pod_container_image`, c.image);
  if (port) {
    set(out, `${P}pod_container_port_name`, port.name);
    set(out, `${P}pod_container_port_number`, String(port.containerPort));
    set(out, `${P}pod_container_port_protocol`, port.protocol);
  }
  out[`${P}pod_container_init`] = String(isInit);
  return out;
}

function allContainers(pod: Pod): { c: Container; isInit: boolean }[] {
  return [
    ...(pod.spec?.containers ?? []).map((c) => ({ c, isInit: false })),
    ...(pod.spec?.initContainers ?? []).map((c) => ({ c, isInit: true })),
  ];
}

/** Options of the builders: the `attach_metadata` switches in effect for the role. */
export interface BuildOptions {
  readonly attachNode: boolean;
  readonly attachNamespace?: boolean;
  readonly attachDeployment?: boolean;
  readonly attachJob?: boolean;
  readonly attachCronJob?: boolean;
}

/** Pod role: one target per declared container port, one per container without ports. */
export function podGroup(pod: Pod, stores: Stores, opts: BuildOptions): TargetGroup {
  const source = `pod/${pod.metadata.namespace}/${pod.metadata.name}`;
  const ip = pod.status?.podIP;
  if (!ip) return { source, targets: [], labels: {} };
  // With node metadata, a pod whose node is not in the store was filtered out by the node
  // selector: it yields no target, as in Prometheus.
  if (opts.attachNode && !stores.nodes.has(pod.spec?.nodeName ?? "")) {
    return { source, targets: [], labels: {} };
  }
  let labels: Labels = podLabels(pod, stores, opts);
  set(labels, `${P}namespace`, pod.metadata.namespace);
  if (opts.attachNode) labels = withNode(labels, stores, pod.spec?.nodeName);
  labels = withNamespace(labels, stores, opts, pod.metadata.namespace ?? "");
  const targets: Labels[] = [];
  for (const { c, isInit } of allContainers(pod)) {
    const statuses = isInit ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
    const id = statuses?.find((s) => s.name === c.name)?.containerID;
    if (!c.ports || c.ports.length === 0) {
      const t = { __address__: ip, ...containerLabels(c, isInit) };
      set(t, `${P}pod_container_id`, id);
      targets.push(t);
      continue;
    }
    for (const port of c.ports) {
      const t = {
        __address__: joinHostPort(ip, port.containerPort),
        ...containerLabels(c, isInit, port),
      };
      set(t, `${P}pod_container_id`, id);
      targets.push(t);
    }
  }
  return { source, targets, labels };
}

function serviceLabels(svc: Service): Labels {
  const out: Labels = {};
  objectMetaLabels(out, svc.metadata, "service");
  set(out, `${P}namespace`, svc.metadata.namespace);
  return out;
}

/**
 * The load balancer's addresses: `status.loadBalancer.ingress` IPs joined with commas, else the
 * deprecated `spec.loadBalancerIP` (Prometheus' `loadBalancerIPs`).
 */
function loadBalancerIPs(svc: Service): string | undefined {
  const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter((ip) => ip);
  return ips.length > 0 ? ips.join(",") : svc.spec?.loadBalancerIP;
}

/** Service role: one target per service port at `<name>.<namespace>.svc:<port>`. */
export function serviceGroup(
  svc: Service,
  stores?: Stores,
  opts: BuildOptions = { attachNode: false },
): TargetGroup {
  const { name, namespace } = svc.metadata;
  const type = svc.spec?.type ?? "";
  const targets = (svc.spec?.ports ?? []).map((port) => {
    const t: Labels = { __address__: joinHostPort(`${name}.${namespace}.svc`, port.port) };
    set(t, `${P}service_port_name`, port.name);
    t[`${P}service_port_number`] = String(port.port);
    set(t, `${P}service_port_protocol`, port.protocol);
    set(t, `${P}service_type`, type);
    set(t, `${P}service_port_app_protocol`, port.appProtocol);
    if (type === "ExternalName") set(t, `${P}service_external_name`, svc.spec?.externalName);
    else set(t, `${P}service_cluster_ip`, svc.spec?.clusterIP);
    if (type === "LoadBalancer") set(t, `${P}service_loadbalancer_ip`, loadBalancerIPs(svc));
    return t;
  });
  const labels = stores
    ? withNamespace(serviceLabels(svc), stores, opts, namespace ?? "")
    : serviceLabels(svc);
  return { source: `svc/${namespace}/${name}`, targets, labels };
}

const NODE_ADDRESS_ORDER = ["InternalIP", "InternalDNS", "ExternalIP", "ExternalDNS", "Hostname"];

/** Node role: the kubelet address (first InternalIP, InternalDNS, ExternalIP, …). */
export function nodeGroup(node: Node): TargetGroup {
  const labels = nodeMetaLabels(node);
  set(labels, `${P}node_provider_id`, node.spec?.providerID);
  // Every condition as `node_condition_<type, lowercased>` = `true`/`false`/`unknown`.
  for (const c of node.status?.conditions ?? []) {
    set(
      labels,
      `${P}node_condition_${sanitizeLabelName(c.type.toLowerCase())}`,
      c.status.toLowerCase(),
    );
  }
  const source = `node/${node.metadata.name}`;
  const byType = new Map<string, string>();
  for (const a of node.status?.addresses ?? []) {
    if (!byType.has(a.type)) byType.set(a.type, a.address);
  }
  const host = NODE_ADDRESS_ORDER.map((t) => byType.get(t)).find((a) => a !== undefined);
  if (host === undefined) return { source, targets: [], labels };
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  const t: Labels = { __address__: joinHostPort(host, port), instance: node.metadata.name };
  for (const [type, address] of byType) {
    t[sanitizeLabelName(`${P}node_address_${type}`)] = address;
  }
  return { source, targets: [t], labels };
}

function resolvePod(ref: ObjectRef | undefined, stores: Stores): Pod | undefined {
  if (!ref || ref.kind !== "Pod" || !ref.name) return undefined;
  return stores.pods.get(`${ref.namespace ?? ""}/${ref.name}`);
}

/** Container port labels of the first container port equal to `port`. */
function matchingContainer(pod: Pod, port: number | undefined): Labels {
  if (port === undefined) return {};
  for (const { c, isInit } of allContainers(pod)) {
    const cp = c.ports?.find((p) => p.containerPort === port);
    if (cp) return containerLabels(c, isInit, cp);
  }
  return {};
}

/** Targets for container ports of seen pods that no endpoint port covered. */
function uncoveredPodPorts(
  seen: Map<string, { pod: Pod; ports: Set<number> }>,
  stores: Stores,
  opts: BuildOptions,
): Labels[] {
  const out: Labels[] = [];
  for (const { pod, ports } of seen.values()) {
    const ip = pod.status?.podIP;
    if (!ip) continue;
    for (const { c, isInit } of allContainers(pod)) {
      for (const cp of c.ports ?? []) {
        if (ports.has(cp.containerPort)) continue;
        out.push({
          __address__: joinHostPort(ip, cp.containerPort),
          ...containerLabels(c, isInit, cp),
          ...podLabels(pod, stores, opts),
        });
      }
    }
  }
  return out;
}

function addServiceLabels(labels: Labels, stores: Stores, ns: string, name: string | undefined) {
  if (!name) return labels;
  const svc = stores.services.get(`${ns}/${name}`);
  return svc ? { ...labels, ...serviceLabels(svc) } : labels;
}

/** Endpoints role: one target per address and port, ready and not ready. */
export function endpointsGroup(ep: Endpoints, stores: Stores, opts: BuildOptions): TargetGroup {
  const ns = ep.metadata.namespace ?? "";
  let labels: Labels = {};
  set(labels, `${P}namespace`, ns);
  objectMetaLabels(labels, ep.metadata, "endpoints");
  labels = addServiceLabels(labels, stores, ns, ep.metadata.name);
  labels = withNamespace(labels, stores, opts, ns);
  const targets: Labels[] = [];
  const seen = new Map<string, { pod: Pod; ports: Set<number> }>();
  const add = (addr: EndpointAddress, port: EndpointPort, ready: string) => {
    let t: Labels = { __address__: joinHostPort(addr.ip, port.port) };
    set(t, `${P}endpoint_port_name`, port.name);
    set(t, `${P}endpoint_port_protocol`, port.protocol);
    t[`${P}endpoint_ready`] = ready;
    set(t, `${P}endpoint_port_app_protocol`, port.appProtocol);
    if (addr.targetRef) {
      set(t, `${P}endpoint_address_target_kind`, addr.targetRef.kind);
      set(t, `${P}endpoint_address_target_name`, addr.targetRef.name);
    }
    set(t, `${P}endpoint_node_name`, addr.nodeName);
    set(t, `${P}endpoint_hostname`, addr.hostname);
    if (opts.attachNode) {
      const node = addr.nodeName ??
        (addr.targetRef?.kind === "Node" ? addr.targetRef.name : undefined);
      t = withNode(t, stores, node);
    }
    const pod = resolvePod(addr.targetRef, stores);
    if (pod) {
      const key = objectKey(pod.metadata);
      const entry = seen.get(key) ?? { pod, ports: new Set<number>() };
      entry.ports.add(port.port);
      seen.set(key, entry);
      t = { ...t, ...podLabels(pod, stores, opts), ...matchingContainer(pod, port.port) };
    }
    targets.push(t);
  };
  for (const subset of ep.subsets ?? []) {
    for (const port of subset.ports ?? []) {
      for (const addr of subset.addresses ?? []) add(addr, port, "true");
      for (const addr of subset.notReadyAddresses ?? []) add(addr, port, "false");
    }
  }
  for (const target of uncoveredPodPorts(seen, stores, opts)) targets.push(target);
  return { source: `endpoints/${ns}/${ep.metadata.name}`, targets, labels };
}

/**
 * Whether a slice holds the secondary address family of a dual-stack service: Prometheus keeps
 * only the primary family's slice (`spec.ipFamilies[0]`), so a pod is not discovered twice.
 */
function secondaryFamilySlice(svc: Service, slice: EndpointSlice): boolean {
  const policy = svc.spec?.ipFamilyPolicy;
  if (policy !== "PreferDualStack" && policy !== "RequireDualStack") return false;
  const primary = svc.spec?.ipFamilies?.[0];
  return primary !== undefined && slice.addressType !== primary;
}

/** EndpointSlice role: one target per endpoint address and port. */
export function endpointSliceGroup(
  slice: EndpointSlice,
  stores: Stores,
  opts: BuildOptions,
): TargetGroup {
  const ns = slice.metadata.namespace ?? "";
  const S = `${P}endpointslice_`;
  let labels: Labels = {};
  set(labels, `${P}namespace`, ns);
  objectMetaLabels(labels, slice.metadata, "endpointslice");
  set(labels, `${S}address_type`, slice.addressType);
  const serviceName = slice.metadata.labels?.["kubernetes.io/service-name"];
  labels = addServiceLabels(labels, stores, ns, serviceName);
  labels = withNamespace(labels, stores, opts, ns);
  const service = serviceName ? stores.services.get(`${ns}/${serviceName}`) : undefined;
  if (service && secondaryFamilySlice(service, slice)) {
    return { source: `endpointslice/${ns}/${slice.metadata.name}`, targets: [], labels };
  }
  const targets: Labels[] = [];
  const seen = new Map<string, { pod: Pod; ports: Set<number> }>();
  for (const ep of slice.endpoints ?? []) {
    for (const port of slice.ports ?? []) {
      for (const addr of ep.addresses) {
        let t: Labels = { __address__: hostPort(addr, port.port) };
        set(t, `${S}port_name`, port.name);
        set(t, `${S}port_protocol`, port.protocol);
        if (port.port !== undefined) t[`${S}port`] = String(port.port);
        set(t, `${S}port_app_protocol`, port.appProtocol);
        const cond = ep.conditions ?? {};
        if (cond.ready !== undefined) t[`${S}endpoint_conditions_ready`] = String(cond.ready);
        if (cond.serving !== undefined) t[`${S}endpoint_conditions_serving`] = String(cond.serving);
        if (cond.terminating !== undefined) {
          t[`${S}endpoint_conditions_terminating`] = String(cond.terminating);
        }
        set(t, `${S}endpoint_hostname`, ep.hostname);
        if (ep.targetRef) {
          set(t, `${S}address_target_kind`, ep.targetRef.kind);
          set(t, `${S}address_target_name`, ep.targetRef.name);
        }
        set(t, `${S}endpoint_node_name`, ep.nodeName);
        set(t, `${S}endpoint_zone`, ep.zone);
        for (const [k, v] of Object.entries(ep.deprecatedTopology ?? {})) {
          const n = sanitizeLabelName(k);
          set(t, `${S}endpoint_topology_${n}`, v);
          t[`${S}endpoint_topology_present_${n}`] = "true";
        }
        if (opts.attachNode) {
          const node = ep.nodeName ??
            (ep.targetRef?.kind === "Node" ? ep.targetRef.name : undefined);
          t = withNode(t, stores, node);
        }
        const pod = resolvePod(ep.targetRef, stores);
        if (pod) {
          const key = objectKey(pod.metadata);
          const entry = seen.get(key) ?? { pod, ports: new Set<number>() };
          if (port.port !== undefined) entry.ports.add(port.port);
          seen.set(key, entry);
          t = { ...t, ...podLabels(pod, stores, opts), ...matchingContainer(pod, port.port) };
        }
        targets.push(t);
      }
    }
  }
  for (const target of uncoveredPodPorts(seen, stores, opts)) targets.push(target);
  return { source: `endpointslice/${ns}/${slice.metadata.name}`, targets, labels };
}

/** Every group of a role, sorted by source so equal stores give equal output. */
export function buildGroups(
  role: KubernetesRole,
  stores: Stores,
  opts: BuildOptions,
): TargetGroup[] {
  const sorted = <T>(m: ReadonlyMap<string, T>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  switch (role) {
    case "pod":
      return sorted(stores.pods).map((p) => podGroup(p, stores, opts));
    case "service":
      return sorted(stores.services).map((s) => serviceGroup(s, stores, opts));
    case "node":
      return sorted(stores.nodes).map(nodeGroup);
    case "endpoints":
      return sorted(stores.endpoints).map((e) => endpointsGroup(e, stores, opts));
    case "endpointslice":
      return sorted(stores.endpointslices).map((e) => endpointSliceGroup(e, stores, opts));
  }
}
