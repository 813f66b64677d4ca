/**
 * `docs/tenants.md` end to end: its two configs, as written, run in a collector (only addresses,
 * ports and the scrape interval changed by an overlay file). Pods of two namespaces found through
 * the Kubernetes API stand-in, and pushes tagged with two namespaces, reach a strict Pyroscope
 * stand-in that requires `X-Scope-OrgID`: every profile arrives under its own namespace as the
 * tenant, no request mixes tenants, and no `__tenant_id__` label is left on a series.
 */

import { assertEquals } from "./support/assert.ts";
import { startSink } from "./support/strict_sink.ts";
import { podObject, startKubeApi } from "./support/kube_api.ts";
import { builtinFactories } from "../components.ts";
import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { LabelSet } from "../core/labels.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { profileBytes } from "./support/profiles.ts";

const DOC = Deno.readTextFileSync(new URL("../docs/tenants.md", import.meta.url));
const [SCRAPE_CONFIG, PUSH_CONFIG] = (() => {
  const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length !== 2) {
    throw new Error(`docs/tenants.md has ${blocks.length} yaml blocks, not 2`);
  }
  return blocks as [string, string];
})();
const PYROSCOPE = "http://pyroscope.monitoring.svc:4040";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../pprof/testdata/${name}`, import.meta.url));
const goroutine = fixture("goroutine.pb.gz");

/** A pprof server at a loopback "pod IP". */
function podServer(ip: string) {
  const server = Deno.serve(
    { hostname: ip, port: 0, onListen() {} },
    () =>
      new Response(goroutine as BodyInit, {
        headers: { "content-type": "application/octet-stream" },
      }),
  );
  return { ip, port: server.addr.port, close: () => server.shutdown() };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function runCollector(files: Record<string, string>): Promise<Collector> {
  const collector = new Collector({
    configFiles: Object.keys(files),
    registry: new Registry(builtinFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: (path) => files[path]!, env: () => undefined },
  });
  await collector.start();
  return collector;
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("tenants: docs/tenants.md's scrape config sends each namespace's pods under its own tenant", async () => {
  const sink = await startSink({ validateTimeWindow: false, requireTenant: true });
  const kube = startKubeApi();
  const shop = podServer("127.0.0.2");
  const billing = podServer("127.0.0.3");
  for (const [namespace, pod] of [["shop", shop], ["billing", billing]] as const) {
    kube.apply(
      "pods",
      podObject({
        namespace,
        name: `${namespace}-api`,
        ip: pod.ip,
        ports: [{ name: "pprof", containerPort: pod.port }],
      }),
    );
  }
  const doc = SCRAPE_CONFIG.replace(
    "      - role: pod\n",
    `      - role: pod\n        api_server: ${kube.url}\n`,
  )
    .replace(PYROSCOPE, sink.url);
  const collector = await runCollector({
    "tenants.yaml": doc,
    "overlay.yaml": `receivers:
  pyroscope.scrape/pods:
    scrape_interval: 1s
    profiling_config:
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
      profile.process_cpu: { enabled: false }
service: { telemetry: { http: { listen_port: 0 }, logs: { level: error } } }
`,
  });
  try {
    const namespaces = () => new Set(sink.pushes.map((p) => p.labels.namespace));
    await until(() => namespaces().size === 2, "profiles of both namespaces");
    assertEquals(
      sink.pushes.filter((p) => p.labels.namespace !== p.tenant).map((p) => [p.tenant, p.labels]),
      [],
      "every profile under its own namespace's tenant",
    );
    assertEquals([...new Set(sink.pushes.map((p) => p.tenant))].sort(), ["billing", "shop"]);
    assertEquals(sink.pushes.filter((p) => "__tenant_id__" in p.labels).length, 0);
    // A request carries one tenant: the series of one request all share it.
    const byRequest = new Map<number, Set<string | undefined>>();
    for (const p of sink.pushes) {
      byRequest.set(p.requestIndex, (byRequest.get(p.requestIndex) ?? new Set()).add(p.tenant));
    }
    assertEquals([...byRequest.values()].filter((tenants) => tenants.size > 1).length, 0);
  } finally {
    await collector.shutdown();
    await kube.close();
    await shop.close();
    await billing.close();
    await sink.close();
  }
});

Deno.test("tenants: docs/tenants.md's push config sends pushes under the namespace they carry", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const port = freePort();
  const collector = await runCollector({
    "tenants.yaml": PUSH_CONFIG.replace(PYROSCOPE, sink.url),
    "overlay.yaml": `receivers:
  pyroscope.receive_http/sdks:
    http: { listen_address: 127.0.0.1, listen_port: ${port} }
service: { telemetry: { http: { listen_port: 0 }, logs: { level: error } } }
`,
  });
  try {
    // One Push with series of two namespaces and one without; one /ingest of a third.
    const push = await fetch(`http://127.0.0.1:${port}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: encodePushRequest(["shop", "billing", undefined].map((namespace, i) => ({
        labels: LabelSet.from({
          __name__: "process_cpu",
          service_name: `svc-${i}`,
          ...(namespace ? { namespace } : {}),
        }),
        samples: [{ rawProfile: profileBytes(i + 1) }],
      }))) as BodyInit,
    });
    assertEquals(push.status, 200, await push.text());
    const ingest = await fetch(
      `http://127.0.0.1:${port}/ingest?name=${
        encodeURIComponent("web{namespace=frontend}")
      }&format=pprof&spyName=gospy`,
      { method: "POST", body: profileBytes(9) as BodyInit },
    );
    assertEquals(ingest.status, 200, await ingest.text());
    await sink.waitFor(4);
    assertEquals(
      sink.pushes.map((p) => [p.labels.service_name, p.tenant]).sort(),
      [["svc-0", "shop"], ["svc-1", "billing"], ["svc-2", undefined]].sort(),
    );
    assertEquals(sink.ingests.map((i) => i.tenant), ["frontend"]);
    assertEquals(sink.pushes.filter((p) => "__tenant_id__" in p.labels).length, 0);
  } finally {
    await collector.shutdown();
    await sink.close();
  }
});
