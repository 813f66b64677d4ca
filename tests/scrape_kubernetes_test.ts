/**
 * `kubernetes_sd_configs` over real HTTP against the Kubernetes API stand-in
 * (`support/kube_api.ts`): the README's Grafana-annotation config scrapes annotated pods in the
 * watched namespace (added by a watch event too) for their annotated types only, on real pprof
 * servers at 127.0.0.x; watch events, bookmarks, dropped connections and 410 Gone relists keep
 * loops running; in-cluster auth with a service-account token file (rotated) and CA; 401/403
 * shown in the discovery status and the log.
 */
import { parse as parseYaml } from "yaml";
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";
import { kubernetesSdConfigSchema } from "../receivers/pyroscope_scrape/discovery/kubernetes/config.ts";
import { KubernetesDiscoverer } from "../receivers/pyroscope_scrape/discovery/kubernetes/kubernetes_sd.ts";
import type { TargetGroup } from "../receivers/pyroscope_scrape/discovery/target_group.ts";
import type { DiscoveryStatus } from "../receivers/pyroscope_scrape/discovery/kubernetes/kubernetes_sd.ts";
import { podObject, startKubeApi } from "./support/kube_api.ts";
import { makeTestPki } from "./support/pki.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../pprof/testdata/${name}`, import.meta.url));
const allocs = [fixture("allocs_1.pb.gz"), fixture("allocs_2.pb.gz")];
const goroutine = fixture("goroutine.pb.gz");

/** A pprof server on a loopback address other than 127.0.0.1 (a "pod IP"). */
function pprofAt(ip: string) {
  let n = 0;
  const hits: string[] = [];
  const server = Deno.serve({ hostname: ip, port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    hits.push(url.pathname);
    const body = url.pathname.endsWith("/allocs") ? allocs[n++ % 2]! : goroutine;
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
  return { ip, port: server.addr.port, server, hits };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

const urls = (r: ScrapeReceiver) => r.loops.map((l) => l.target.url).sort();

/** The receiver config of the README's annotation example. */
function readmeAnnotationConfig(): Record<string, unknown> {
  const readme = Deno.readTextFileSync(
    new URL("../receivers/pyroscope_scrape/README.md", import.meta.url),
  );
  for (const [, block] of readme.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    if (!block!.includes("pyroscope.scrape/annotated")) continue;
    const doc = parseYaml(block!) as { receivers: Record<string, Record<string, unknown>> };
    return doc.receivers["pyroscope.scrape/annotated"]!;
  }
  throw new Error("the README has no pyroscope.scrape/annotated example");
}

const grafana = (type: string, a: Record<string, string>) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [`profiles.grafana.com/${type}.${k}`, v]));

Deno.test("kubernetes_sd + the README's annotation rules: annotated pods only, their types only, watch events within a second", async () => {
  const kube = startKubeApi();
  const api = pprofAt("127.0.0.2");
  const plain = pprofAt("127.0.0.3");
  const worker = pprofAt("127.0.0.4");
  const elsewhere = pprofAt("127.0.0.5");
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "api",
      ip: api.ip,
      annotations: {
        ...grafana("cpu", { scrape: "true", port: String(api.port) }),
        ...grafana("memory", { scrape: "true", port: String(api.port) }),
      },
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "plain",
      ip: plain.ip,
      ports: [{ name: "pprof", containerPort: plain.port, protocol: "TCP" }],
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "other",
      name: "api",
      ip: elsewhere.ip,
      annotations: grafana("cpu", { scrape: "true", port: String(elsewhere.port) }),
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "pending",
      ip: "127.0.0.6",
      phase: "Pending",
      annotations: grafana("cpu", { scrape: "true", port: "1" }),
    }),
  );
  const base = readmeAnnotationConfig();
  const config = scrapeConfigSchema.parse({
    ...base,
    kubernetes_sd_configs: [{
      ...(base.kubernetes_sd_configs as Record<string, unknown>[])[0],
      api_server: kube.url,
    }],
    scrape_interval: "2s",
  });
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape/annotated"),
    config,
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    await until(() => receiver.loops.length === 2, "the api pod's two loops");
    assertEquals(urls(receiver), [
      `http://${api.ip}:${api.port}/debug/pprof/allocs`,
      `http://${api.ip}:${api.port}/debug/pprof/profile?seconds=1`,
    ]);
    const cpu = receiver.loops.find((l) => l.target.profileType === "process_cpu")!;
    assertEquals(cpu.target.labels.get("namespace"), "shop");
    assertEquals(cpu.target.labels.get("pod"), "api");
    assertEquals(cpu.target.labels.get("container"), "app");
    assertEquals(cpu.target.labels.get("service_name"), "shop/app");

    // A pod added by a watch event, scraped on the port named by .port_name at .path.
    kube.apply("pods", {
      ...podObject({
        namespace: "shop",
        name: "worker",
        ip: worker.ip,
        annotations: grafana("goroutine", {
          scrape: "true",
          port_name: "pprof",
          path: "/custom/goroutine",
        }),
        ports: [
          { name: "http", containerPort: 8080, protocol: "TCP" },
          { name: "pprof", containerPort: worker.port, protocol: "TCP" },
        ],
      }),
    });
    const added = await until(() => receiver.loops.length === 3, "the worker pod's loop");
    assert(added < 1000, `the added pod became a target after ${added}ms`);
    assert(urls(receiver).includes(`http://${worker.ip}:${worker.port}/custom/goroutine`));

    await until(
      () =>
        api.hits.includes("/debug/pprof/profile") && api.hits.includes("/debug/pprof/allocs") &&
        worker.hits.includes("/custom/goroutine"),
      "scrapes of every annotated type",
      8000,
    );
    assertEquals(new Set(api.hits), new Set(["/debug/pprof/profile", "/debug/pprof/allocs"]));
    assertEquals(new Set(worker.hits), new Set(["/custom/goroutine"]));
    assertEquals(plain.hits, [], "an unannotated pod is not scraped");
    assertEquals(elsewhere.hits, [], "a pod outside the watched namespace is not scraped");

    // Dropping the memory annotation stops that loop only; deleting a pod stops its loops.
    const kept = cpu;
    kube.apply(
      "pods",
      podObject({
        namespace: "shop",
        name: "api",
        ip: api.ip,
        annotations: grafana("cpu", { scrape: "true", port: String(api.port) }),
      }),
    );
    kube.remove("pods", "shop", "worker");
    const removed = await until(() => receiver.loops.length === 1, "loops of removed targets");
    assert(removed < 1000, `targets disappeared after ${removed}ms`);
    assert(receiver.loops[0] === kept, "the unchanged CPU loop kept running");
  } finally {
    await receiver.shutdown();
    await kube.close();
    for (const s of [api, plain, worker, elsewhere]) await s.server.shutdown();
  }
});

Deno.test("kubernetes_sd: bookmarks, dropped watches and 410 Gone relists keep loops; watches resume from resourceVersion", async () => {
  const kube = startKubeApi();
  kube.apply("pods", podObject({ namespace: "shop", name: "a", ip: "127.0.0.2" }));
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape"),
    scrapeConfigSchema.parse({
      scrape_interval: "1h",
      profiling_config: {
        "profile.process_cpu": { enabled: false },
        "profile.memory": { enabled: false },
        "profile.block": { enabled: false },
        "profile.mutex": { enabled: false },
      },
      kubernetes_sd_configs: [{ role: "pod", api_server: kube.url }],
    }),
    new RecordingConsumer(),
    { backoff: { initialMs: 20, maxMs: 100 } },
  );
  try {
    await receiver.start();
    await until(() => receiver.loops.length === 1, "pod a");
    const first = receiver.loops[0]!;
    assertEquals(first.target.labels.get("__meta_kubernetes_pod_name"), "a");
    await until(() => kube.watchers === 1, "the watch");

    kube.bookmark();
    kube.dropWatches();
    kube.apply("pods", podObject({ namespace: "shop", name: "b", ip: "127.0.0.3" }));
    await until(() => receiver.loops.length === 2, "pod b after the reconnect", 1000);
    assertEquals(kube.lists(), 1, "a dropped watch resumes without a relist");

    await until(() => kube.watchers === 1, "the new watch");
    kube.expire(); // ERROR 410 on the open watch
    await until(() => kube.lists() === 2, "the relist after 410 Gone", 1000);
    kube.apply("pods", podObject({ namespace: "shop", name: "c", ip: "127.0.0.4" }));
    await until(() => receiver.loops.length === 3, "pod c after the relist", 1000);
    assert(receiver.loops.includes(first), "the relist did not restart pod a's loop");

    kube.remove("pods", "shop", "b");
    await until(() => receiver.loops.length === 2, "pod b deleted", 1000);

    const watches = kube.requests.filter((r) => r.query.watch === "true");
    assert(watches.length >= 3);
    for (const w of watches) {
      assertEquals(w.query.allowWatchBookmarks, "true");
      assert(/^\d+$/.test(w.query.resourceVersion ?? ""), JSON.stringify(w.query));
      assertEquals(w.path, "/api/v1/pods");
    }
    const status = receiver.discoveryStatus()[0]!;
    assertEquals(status.health, "up");
    assertEquals(status.targets, 2);
  } finally {
    await receiver.shutdown();
    await kube.close();
  }
});

Deno.test("kubernetes_sd in-cluster: HTTPS with the service-account CA, token file re-read when it rotates, own namespace", async () => {
  const pki = await makeTestPki();
  let token = "token-1";
  const kube = startKubeApi({
    tls: { cert: pki.serverCertPem, key: pki.serverKeyPem },
    token: () => token,
  });
  const sa = Deno.makeTempDirSync({ prefix: "profcol-sa-" });
  Deno.writeTextFileSync(`${sa}/token`, "token-1\n");
  Deno.writeTextFileSync(`${sa}/ca.crt`, pki.caPem);
  Deno.writeTextFileSync(`${sa}/namespace`, "shop");
  kube.apply("pods", podObject({ namespace: "shop", name: "a", ip: "127.0.0.2" }));
  kube.apply("pods", podObject({ namespace: "kube-system", name: "dns", ip: "127.0.0.3" }));
  let groups: TargetGroup[] = [];
  const discoverer = new KubernetesDiscoverer(
    kubernetesSdConfigSchema.parse({ role: "pod", namespaces: { own_namespace: true } }),
    new Logger({ write: () => {} }),
    "profcol/test",
    {
      env: {
        env: (name) =>
          ({
            KUBERNETES_SERVICE_HOST: "127.0.0.1",
            KUBERNETES_SERVICE_PORT: kube.url.split(":")[2],
          })[
            name
          ],
        serviceAccountDir: sa,
      },
      backoff: { initialMs: 50, maxMs: 200 },
    },
  );
  try {
    discoverer.start((g) => (groups = g));
    await until(() => groups.length === 1, "the own namespace's pod");
    assertEquals(groups[0]!.source, "pod/shop/a");
    assertEquals(kube.requests[0]!.path, "/api/v1/namespaces/shop/pods");
    assertEquals(kube.requests[0]!.authorization, "Bearer token-1");

    // The kubelet rotates the token: the file changes, the old token stops working.
    token = "token-2";
    Deno.writeTextFileSync(`${sa}/token`, "token-2\n");
    kube.dropWatches();
    kube.apply("pods", podObject({ namespace: "shop", name: "b", ip: "127.0.0.4" }));
    await until(() => groups.length === 2, "pod b, seen with the rotated token", 5000);
    assert(kube.requests.some((r) => r.authorization === "Bearer token-2"));
    assertEquals(discoverer.status("pyroscope.scrape").health, "up");
    assertEquals(discoverer.status("pyroscope.scrape").api_server, kube.url);
  } finally {
    await discoverer.stop();
    await kube.close();
    pki.cleanup();
    Deno.removeSync(sa, { recursive: true });
  }
});

Deno.test("kubernetes_sd: 403 and 401 are shown in the discovery status and logged once", async () => {
  const kube = startKubeApi({ token: "right" });
  kube.forbidden.add("pods");
  const lines: string[] = [];
  let discovery: () => unknown = () => [];
  const settings = testSettings("pyroscope.scrape/k8s", {
    logger: new Logger({ write: (line) => lines.push(line) }),
    host: {
      registerStatus: (name, provider) => {
        if (name === "discovery") discovery = provider;
        return () => {};
      },
    },
  });
  const receiver = new ScrapeReceiver(
    settings,
    scrapeConfigSchema.parse({
      kubernetes_sd_configs: [
        { role: "pod", api_server: kube.url, bearer_token: "right" },
        { role: "service", api_server: kube.url, bearer_token: "wrong" },
      ],
    }),
    new RecordingConsumer(),
    { backoff: { initialMs: 20, maxMs: 50 } },
  );
  try {
    await receiver.start();
    await until(
      () => (discovery() as DiscoveryStatus[]).every((s) => s.health === "down"),
      "both entries down",
    );
    await new Promise((r) => setTimeout(r, 200)); // several retries
    const [pods, services] = discovery() as DiscoveryStatus[];
    assertEquals(pods!.component_id, "pyroscope.scrape/k8s");
    assertEquals(pods!.role, "pod");
    assertEquals(
      pods!.last_error,
      `Listing pods at ${kube.url}/api/v1/pods failed: HTTP 403 Forbidden: pods is forbidden: ` +
        `User "system:serviceaccount:profcol:profcol" cannot list resource "pods" in API group "" ` +
        `at the cluster scope; grant get, list and watch on it to the service account`,
    );
    assertEquals(
      services!.last_error,
      `Listing services at ${kube.url}/api/v1/services failed: HTTP 401 Unauthorized: ` +
        `Unauthorized; check the token or client certificate`,
    );
    const warned = lines.filter((l) => l.includes("level=warn") && l.includes("HTTP 403"));
    assertEquals(warned.length, 1, lines.join("\n"));
    assert(lines.some((l) => l.includes("level=warn") && l.includes("HTTP 401")));
    assertEquals(receiver.loops.length, 0);

    kube.forbidden.delete("pods");
    await until(() => (discovery() as DiscoveryStatus[])[0]!.health === "up", "recovery", 2000);
  } finally {
    await receiver.shutdown();
    await kube.close();
  }
});

Deno.test("the relabel, service_name and drop_internal_labels READMEs' Kubernetes examples work on scraped profiles as written", async () => {
  const { relabelProcessorFactory } = await import("../processors/relabel/mod.ts");
  const { serviceNameProcessorFactory } = await import("../processors/service_name/mod.ts");
  const { dropInternalLabelsProcessorFactory } = await import(
    "../processors/drop_internal_labels/mod.ts"
  );
  const readmeBlock = (path: string, needle: string) => {
    const text = Deno.readTextFileSync(new URL(path, import.meta.url));
    const block = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
      .find((b) => b.includes(needle));
    if (!block) throw new Error(`${path} has no example with ${needle}`);
    return parseYaml(block) as { processors: Record<string, unknown> };
  };
  const relabelConfig = readmeBlock("../processors/relabel/README.md", "relabel/k8s").processors[
    "relabel/k8s"
  ];
  const kube = startKubeApi();
  const target = pprofAt("127.0.0.2");
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "checkout-1",
      ip: target.ip,
      container: "checkout",
      labels: { app: "checkout", "app.kubernetes.io/version": "1.2" },
      ports: [{ name: "pprof", containerPort: target.port, protocol: "TCP" }],
    }),
  );
  const settings = testSettings("relabel/k8s");
  const create = <T>(f: { configSchema: { parse(x: unknown): T } }, config: unknown) =>
    f.configSchema.parse(config);
  const relabelP = relabelProcessorFactory.create(
    settings,
    create(relabelProcessorFactory, relabelConfig),
  );
  const serviceName = serviceNameProcessorFactory.create(
    testSettings("service_name"),
    create(serviceNameProcessorFactory, {}),
  );
  const dropInternal = dropInternalLabelsProcessorFactory.create(
    testSettings("drop_internal_labels"),
    create(dropInternalLabelsProcessorFactory, {}),
  );
  const sink = new RecordingConsumer();
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape"),
    scrapeConfigSchema.parse({
      scrape_interval: "200ms",
      profiling_config: {
        "profile.process_cpu": { enabled: false },
        "profile.memory": { enabled: false },
        "profile.block": { enabled: false },
        "profile.mutex": { enabled: false },
      },
      kubernetes_sd_configs: [{ role: "pod", api_server: kube.url }],
    }),
    sink,
  );
  try {
    await receiver.start();
    await until(() => sink.items.length > 0, "a scraped goroutine profile");
    let item = sink.items[0]!;
    assertEquals(item.labels.get("__meta_kubernetes_namespace"), "shop", "metadata is forwarded");
    for (const p of [relabelP, serviceName, dropInternal]) item = (await p.process(item))!;
    assertEquals(item.labels.toRecord(), {
      __name__: "goroutine",
      app: "checkout",
      app_kubernetes_io_version: "1.2",
      container: "checkout",
      instance: `${target.ip}:${target.port}`,
      job: "pyroscope.scrape",
      namespace: "shop",
      "otel.scope.name": "profcol/pyroscope.scrape",
      "otel.scope.version": "0.0.0-test",
      pod: "checkout-1",
      service_name: "shop/checkout",
    });
  } finally {
    await receiver.shutdown();
    await kube.close();
    await target.server.shutdown();
  }
});
