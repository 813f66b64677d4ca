/**
 * A Kubernetes API stand-in over real HTTP(S) on 127.0.0.1 for discovery tests: lists shaped
 * as the API server returns them (`PodList`, `ServiceList`, `NodeList`, `EndpointsList`,
 * `EndpointSliceList`, `NamespaceList`, `ReplicaSetList`, `JobList` with
 * `metadata.resourceVersion`), namespaced and cluster-wide paths,
 * equality label/field selectors, and `?watch=true` streams of JSON lines (`ADDED`, `MODIFIED`,
 * `DELETED`, `BOOKMARK`, `ERROR` 410). Tests drive it: add/modify/delete objects, send
 * bookmarks, expire versions (410 Gone), drop open watch connections, demand a token, forbid a
 * resource.
 *
 * @module
 */

/** A stored API object (only `metadata` is interpreted). */
export interface ApiObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

type Resource =
  | "pods"
  | "services"
  | "nodes"
  | "endpoints"
  | "endpointslices"
  | "namespaces"
  | "replicasets"
  | "jobs";

const KINDS: Record<Resource, { kind: string; apiVersion: string }> = {
  pods: { kind: "Pod", apiVersion: "v1" },
  services: { kind: "Service", apiVersion: "v1" },
  nodes: { kind: "Node", apiVersion: "v1" },
  endpoints: { kind: "Endpoints", apiVersion: "v1" },
  endpointslices: { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1" },
  namespaces: { kind: "Namespace", apiVersion: "v1" },
  replicasets: { kind: "ReplicaSet", apiVersion: "apps/v1" },
  jobs: { kind: "Job", apiVersion: "batch/v1" },
};

interface Watcher {
  resource: Resource;
  namespace: string | undefined;
  query: URLSearchParams;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/** One recorded request. */
export interface KubeRequest {
  path: string;
  query: Record<string, string>;
  authorization: string | null;
}

/** Options of {@linkcode startKubeApi}. */
export interface KubeApiOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** Require `Authorization: Bearer <token>`; a function is asked on every request. */
  token?: string | (() => string);
}

const PATH =
  /^\/(?:api\/v1|apis\/(?:discovery\.k8s\.io|apps|batch)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/;
const encoder = new TextEncoder();

function status(code: number, reason: string, message: string): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code },
    { status: code },
  );
}

/** Equality-based selectors: `a=b`, `a==b`, `a!=b`, `a` (exists), `!a`, comma-separated. */
function matches(selector: string | null, get: (key: string) => string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const t = term.trim();
    let m: RegExpMatchArray | null;
    if ((m = t.match(/^([^!=]+)!=(.*)$/))) return get(m[1]!.trim()) !== m[2]!.trim();
    if ((m = t.match(/^([^!=]+)==?(.*)$/))) return get(m[1]!.trim()) === m[2]!.trim();
    if (t.startsWith("!")) return get(t.slice(1)) === undefined;
    return get(t) !== undefined;
  });
}

function field(object: ApiObject, path: string): string | undefined {
  let v: unknown = object;
  for (const part of path.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === "string" ? v : undefined;
}

/** The running stand-in. */
export class KubeApi {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #objects: Record<Resource, Map<string, ApiObject>> = {
    pods: new Map(),
    services: new Map(),
    nodes: new Map(),
    endpoints: new Map(),
    endpointslices: new Map(),
    namespaces: new Map(),
    replicasets: new Map(),
    jobs: new Map(),
  };
  readonly #log: { rv: number; resource: Resource; type: string; object: ApiObject }[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #options: KubeApiOptions;
  #rv = 100;
  /** Versions at or below this answer 410 Gone. */
  #compactedAt = 0;
  /** Resources answered with 403. */
  readonly forbidden = new Set<string>();
  readonly requests: KubeRequest[] = [];
  readonly url: string;

  constructor(options: KubeApiOptions = {}) {
    this.#options = options;
    const serveOptions = {
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    };
    this.#server = Deno.serve(serveOptions, (req) => this.#handle(req));
    const scheme = options.tls ? "https" : "http";
    this.url = `${scheme}://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Open watch streams. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** List requests (not watches) so far, optionally of one resource. */
  lists(resource?: string): number {
    return this.requests.filter((r) =>
      r.query.watch !== "true" && (resource === undefined || r.path.endsWith(`/${resource}`))
    ).length;
  }

  #key(o: ApiObject): string {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
  }

  #emit(resource: Resource, type: string, object: ApiObject): void {
    const rv = ++this.#rv;
    const stored = {
      ...KINDS[resource],
      ...structuredClone(object),
      metadata: { ...structuredClone(object.metadata), resourceVersion: String(rv) },
    };
    if (type === "DELETED") this.#objects[resource].delete(this.#key(object));
    else this.#objects[resource].set(this.#key(object), stored);
    this.#log.push({ rv, resource, type, object: stored });
    for (const w of this.#watchers) {
      if (w.resource === resource && this.#visible(w, stored)) this.#send(w, type, stored);
    }
  }

  /** Adds (or replaces, as MODIFIED) an object. */
  apply(resource: Resource, object: ApiObject): void {
    const exists = this.#objects[resource].has(this.#key(object));
    this.#emit(resource, exists ? "MODIFIED" : "ADDED", object);
  }

  /** Deletes an object. */
  remove(resource: Resource, namespace: string | undefined, name: string): void {
    const key = namespace ? `${namespace}/${name}` : name;
    const object = this.#objects[resource].get(key);
    if (object) this.#emit(resource, "DELETED", object);
  }

  /** Sends a BOOKMARK with the current version to every open watch. */
  bookmark(): void {
    const rv = String(++this.#rv);
    for (const w of this.#watchers) {
      this.#send(w, "BOOKMARK", {
        ...KINDS[w.resource],
        metadata: { name: "", resourceVersion: rv },
      });
    }
  }

  /** Forgets history: every version so far answers 410 Gone, and open watches get an ERROR 410. */
  expire(): void {
    this.#compactedAt = this.#rv;
    for (const w of [...this.#watchers]) {
      this.#send(w, "ERROR", {
        kind: "Status",
        apiVersion: "v1",
        metadata: { name: "" },
        status: "Failure",
        message: `too old resource version: ${w.query.get("resourceVersion")} (${this.#rv})`,
        reason: "Expired",
        code: 410,
      } as unknown as ApiObject);
      this.#close(w);
    }
  }

  /** Breaks every open watch connection mid-stream. */
  dropWatches(): void {
    for (const w of [...this.#watchers]) {
      this.#watchers.delete(w);
      try {
        w.controller.error(new Error("connection dropped by the test"));
      } catch { /* already closed */ }
    }
  }

  #close(w: Watcher): void {
    this.#watchers.delete(w);
    try {
      w.controller.close();
    } catch { /* already closed */ }
  }

  #send(w: Watcher, type: string, object: ApiObject): void {
    try {
      w.controller.enqueue(encoder.encode(JSON.stringify({ type, object }) + "\n"));
    } catch {
      this.#watchers.delete(w);
    }
  }

  #visible(w: { namespace: string | undefined; query: URLSearchParams }, o: ApiObject): boolean {
    if (w.namespace !== undefined && o.metadata.namespace !== w.namespace) return false;
    if (!matches(w.query.get("labelSelector"), (k) => o.metadata.labels?.[k])) return false;
    return matches(w.query.get("fieldSelector"), (k) => field(o, k));
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    this.requests.push({
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.get("authorization"),
    });
    const token = typeof this.#options.token === "function"
      ? this.#options.token()
      : this.#options.token;
    if (token !== undefined && req.headers.get("authorization") !== `Bearer ${token}`) {
      return status(401, "Unauthorized", "Unauthorized");
    }
    const m = url.pathname.match(PATH);
    if (!m || !(m[2]! in KINDS)) return status(404, "NotFound", `no route ${url.pathname}`);
    const resource = m[2] as Resource;
    const namespace = m[1] ? decodeURIComponent(m[1]) : undefined;
    if (this.forbidden.has(resource)) {
      return status(
        403,
        "Forbidden",
        `${resource} is forbidden: User "system:serviceaccount:profcol:profcol" cannot list ` +
          `resource "${resource}" in API group "" at the cluster scope`,
      );
    }
    const view = { namespace, query: url.searchParams };
    if (url.searchParams.get("watch") !== "true") {
      const items = [...this.#objects[resource].values()].filter((o) => this.#visible(view, o));
      return Response.json({
        kind: `${KINDS[resource].kind}List`,
        apiVersion: KINDS[resource].apiVersion,
        metadata: { resourceVersion: String(this.#rv) },
        items,
      });
    }
    const from = Number(url.searchParams.get("resourceVersion") ?? this.#rv);
    if (from < this.#compactedAt) {
      // The real server answers an expired version with 200 and an ERROR event.
      const line = JSON.stringify({
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Expired",
          code: 410,
        },
      });
      return new Response(line + "\n", { headers: { "content-type": "application/json" } });
    }
    let watcher: Watcher;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        watcher = { resource, namespace, query: url.searchParams, controller };
        this.#watchers.add(watcher);
        for (const e of this.#log) {
          if (e.rv > from && e.resource === resource && this.#visible(view, e.object)) {
            this.#send(watcher, e.type, e.object);
          }
        }
      },
      cancel: () => {
        this.#watchers.delete(watcher);
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }

  async close(): Promise<void> {
    for (const w of [...this.#watchers]) this.#close(w);
    await this.#server.shutdown();
  }
}

/** Starts a stand-in. */
export function startKubeApi(options: KubeApiOptions = {}): KubeApi {
  return new KubeApi(options);
}

/** A pod object as the API returns it (running, ready, with one container). */
export function podObject(o: {
  namespace: string;
  name: string;
  ip: string;
  node?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  container?: string;
  phase?: string;
}): ApiObject {
  const container = o.container ?? "app";
  return {
    metadata: {
      name: o.name,
      namespace: o.namespace,
      uid: `uid-${o.namespace}-${o.name}`,
      labels: o.labels ?? { app: o.name },
      annotations: o.annotations ?? {},
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: `${o.name}-rs`,
        uid: "rs-uid",
        controller: true,
      }],
    },
    spec: {
      nodeName: o.node ?? "node-a",
      containers: [{
        name: container,
        image: `example.com/${container}:1`,
        ports: o.ports ?? [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      }],
    },
    status: {
      phase: o.phase ?? "Running",
      hostIP: "127.0.0.1",
      podIP: o.ip,
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{ name: container, containerID: `containerd://${o.name}` }],
    },
  };
}
