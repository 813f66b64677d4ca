/**
 * `convert --from=alloy` keeps the meaning of a config: the realistic Alloy configs of
 * `cli/convert/testdata/` are converted and run in a collector against the strict sink. The
 * targets Alloy would scrape are scraped (and nothing else), and the labels Alloy would deliver
 * are delivered: a local scrape, an SDK gateway with a relabel chain, the k8s-monitoring style
 * Kubernetes annotations (through the Kubernetes API stand-in and pprof servers on 127.0.0.x),
 * and a write to two endpoints with basic auth, a fixed tenant and external labels.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { type SinkPushRecord, startSink } from "./support/strict_sink.ts";
import { podObject, startKubeApi } from "./support/kube_api.ts";
import { builtinFactories } from "../components.ts";
import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { convertAlloy } from "../cli/convert/convert.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../pprof/testdata/${name}`, import.meta.url));
const allocs = [fixture("allocs_1.pb.gz"), fixture("allocs_2.pb.gz")];
const goroutine = fixture("goroutine.pb.gz");
const cpu = fixture("cpu.pb.gz");

/** A pprof server (allocs alternate between two snapshots, so deltas are non-empty). */
function pprofAt(ip: string) {
  let n = 0;
  const hits: string[] = [];
  const server = Deno.serve({ hostname: ip, port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    hits.push(url.pathname);
    const body = url.pathname.endsWith("/allocs") ? allocs[n++ % 2]! : goroutine;
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
  return { address: `${ip}:${server.addr.port}`, server, hits };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The testdata Alloy file with `replacements` applied (addresses of this test run). */
function alloyFile(name: string, replacements: [string, string][]): string {
  let text = Deno.readTextFileSync(new URL(`../cli/convert/testdata/${name}`, import.meta.url));
  for (const [from, to] of replacements) {
    assert(text.includes(from), `${name} contains ${from}`);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** Converts, then runs the YAML (admin server on a free port) with `env`. */
async function runConverted(name: string, alloy: string, env: Record<string, string> = {}) {
  const result = convertAlloy([{ name, text: alloy }], builtinFactories);
  assertEquals(result.warnings, []);
  const files: Record<string, string> = {
    "converted.yaml": result.yaml,
    "test.yaml": "service: { telemetry: { http: { listen_port: 0 }, logs: { level: error } } }",
  };
  const collector = new Collector({
    configFiles: ["converted.yaml", "test.yaml"],
    registry: new Registry(builtinFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: (path) => files[path]!, env: (n) => env[n] },
  });
  await collector.start();
  return { collector, yaml: result.yaml };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pushed series' labels without profcol's scope labels (see docs/coming-from-alloy.md). */
function labelsOf(push: SinkPushRecord): Record<string, string> {
  const { "otel.scope.name": _name, "otel.scope.version": _version, ...rest } = push.labels;
  return rest;
}

/** `app{k=v,…}` of an `/ingest` name as a label map. */
function ingestLabels(name: string): Record<string, string> {
  const open = name.indexOf("{");
  const labels: Record<string, string> = { __app__: name.slice(0, open) };
  for (const pair of name.slice(open + 1, -1).split(",")) {
    const eq = pair.indexOf("=");
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

const ingestUrl = (port: number, name: string) =>
  `http://127.0.0.1:${port}/ingest?name=${encodeURIComponent(name)}&format=pprof&spyName=gospy`;

Deno.test("converted local scrape: the profile types Alloy would scrape, with Alloy's labels", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const checkout = pprofAt("127.0.0.1");
  const payments = pprofAt("127.0.0.1");
  const { collector } = await runConverted(
    "local_scrape.alloy",
    alloyFile("local_scrape.alloy", [
      ["127.0.0.1:6060", checkout.address],
      ["127.0.0.1:6061", payments.address],
      ["http://localhost:4040", sink.url],
      [`"15s"`, `"1s"`],
    ]),
  );
  try {
    const seen = () =>
      new Set(sink.pushes.map((p) => `${p.labels.instance} ${p.labels.__name__}`)).size;
    await until(() => seen() === 4, "goroutine and memory from both targets");
    // process_cpu, block and mutex are disabled; fgprof and godeltaprof are off by default.
    for (const target of [checkout, payments]) {
      assertEquals(
        [...new Set(target.hits)].sort(),
        ["/debug/pprof/allocs", "/debug/pprof/goroutine"],
      );
    }
    const series = sink.pushes
      .map(labelsOf)
      .filter((l, i, all) => all.findIndex((o) => JSON.stringify(o) === JSON.stringify(l)) === i)
      .sort((a, b) => `${a.instance}${a.__name__}`.localeCompare(`${b.instance}${b.__name__}`));
    const expected = (address: string, service: string, type: string) => ({
      __name__: type,
      ...(type === "memory" ? { __delta__: "false" } : {}),
      env: "dev",
      host: "build-01",
      instance: address,
      job: "pyroscope.scrape.apps",
      service_name: service,
    });
    const sortKeys = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
    assertEquals(
      series.map(sortKeys),
      [
        expected(checkout.address, "checkout", "goroutine"),
        expected(checkout.address, "checkout", "memory"),
        expected(payments.address, "payments", "goroutine"),
        expected(payments.address, "payments", "memory"),
      ].sort((a, b) => `${a.instance}${a.__name__}`.localeCompare(`${b.instance}${b.__name__}`))
        .map(sortKeys),
    );
  } finally {
    await collector.shutdown();
    await checkout.server.shutdown();
    await payments.server.shutdown();
    await sink.close();
  }
});

Deno.test("converted SDK gateway: relabel chain applied, test traffic dropped, the SDK's tenant not passed on", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const port = freePort();
  const { collector } = await runConverted(
    "sdk_gateway.alloy",
    alloyFile("sdk_gateway.alloy", [
      [`"0.0.0.0"`, `"127.0.0.1"`],
      ["listen_port    = 4040", `listen_port    = ${port}`],
      ["http://pyroscope-distributor:4040", sink.url],
    ]),
  );
  try {
    for (const env of ["prod", "test"]) {
      const response = await fetch(ingestUrl(port, `checkout{env=${env}}`), {
        method: "POST",
        body: cpu,
        headers: { "X-Scope-OrgID": "team-a" },
      });
      await response.body?.cancel();
      assertEquals(response.status, 200, `ingest env=${env}`);
    }
    await sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(sink.ingests.length, 1, "env=test is dropped by the relabel rule");
    const ingest = sink.ingests[0]!;
    assertEquals(ingestLabels(ingest.name), {
      __app__: "checkout",
      cluster: "edge",
      env: "prod",
      gateway: "edge-1",
      service_name: "checkout",
    });
    assertEquals(ingest.tenant, undefined, "Alloy drops the SDK's X-Scope-OrgID");
  } finally {
    await collector.shutdown();
    await sink.close();
  }
});

Deno.test("converted k8s-monitoring style: annotated pods of the watched namespace, their types only, Alloy's labels", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const kube = startKubeApi();
  const api = pprofAt("127.0.0.2");
  const worker = pprofAt("127.0.0.3");
  const plain = pprofAt("127.0.0.4");
  const elsewhere = pprofAt("127.0.0.5");
  const annotate = (type: string, port: string) => ({
    [`profiles.grafana.com/${type}.scrape`]: "true",
    [`profiles.grafana.com/${type}.port`]: port,
  });
  const portOf = (t: { address: string }) => t.address.split(":")[1]!;
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "api",
      ip: "127.0.0.2",
      annotations: annotate("goroutine", portOf(api)),
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "worker",
      ip: "127.0.0.3",
      annotations: annotate("memory", portOf(worker)),
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "shop",
      name: "plain",
      ip: "127.0.0.4",
      ports: [{ name: "pprof", containerPort: Number(portOf(plain)) }],
    }),
  );
  kube.apply(
    "pods",
    podObject({
      namespace: "other",
      name: "api",
      ip: "127.0.0.5",
      annotations: annotate("goroutine", portOf(elsewhere)),
    }),
  );
  const { collector } = await runConverted(
    "kubernetes_annotations.alloy",
    alloyFile("kubernetes_annotations.alloy", [[`"15s"`, `"1s"`]]),
    { KUBE_API: kube.url, PYROSCOPE_URL: sink.url },
  );
  try {
    const types = () => new Set(sink.pushes.map((p) => p.labels.__name__));
    await until(() => types().has("goroutine") && types().has("memory"), "both types");
    assertEquals([...new Set(api.hits)], ["/debug/pprof/goroutine"]);
    assertEquals([...new Set(worker.hits)], ["/debug/pprof/allocs"]);
    assertEquals(plain.hits, [], "pods without the annotation are not scraped");
    assertEquals(elsewhere.hits, [], "other namespaces are not watched");
    const first = (type: string) => labelsOf(sink.pushes.find((p) => p.labels.__name__ === type)!);
    assertEquals(first("goroutine"), {
      __name__: "goroutine",
      app: "api",
      cluster: "shop-cluster",
      container: "app",
      instance: api.address,
      job: "pyroscope.scrape.pyroscope_scrape_goroutine",
      namespace: "shop",
      pod: "api",
      service_name: "shop/app",
    });
    assertEquals(first("memory"), {
      __delta__: "false",
      __name__: "memory",
      app: "worker",
      cluster: "shop-cluster",
      container: "app",
      instance: worker.address,
      job: "pyroscope.scrape.pyroscope_scrape_memory",
      namespace: "shop",
      pod: "worker",
      service_name: "shop/app",
    });
  } finally {
    await collector.shutdown();
    await kube.close();
    for (const s of [api, worker, plain, elsewhere]) await s.server.shutdown();
    await sink.close();
  }
});

Deno.test("converted multi-endpoint write: both endpoints, basic auth from the environment, a fixed tenant, external labels", async () => {
  const cloud = await startSink({ validateTimeWindow: false });
  const selfHosted = await startSink({ validateTimeWindow: false });
  const port = freePort();
  const { collector, yaml } = await runConverted(
    "multi_endpoint.alloy",
    alloyFile("multi_endpoint.alloy", [
      ["listen_port    = 4041", `listen_port    = ${port}`],
      ["127.0.0.1:12345", `127.0.0.1:${freePort()}`], // nothing listens: the scrape fails
    ]),
    {
      PYROSCOPE_URL: cloud.url,
      SECONDARY_URL: selfHosted.url,
      PYROSCOPE_PASSWORD: "s3cret",
    },
  );
  try {
    assert(!yaml.includes("s3cret"), "the password stays a reference");
    const response = await fetch(ingestUrl(port, "checkout{env=staging,region=eu}"), {
      method: "POST",
      body: cpu,
    });
    await response.body?.cancel();
    assertEquals(response.status, 200);
    await cloud.waitFor(1);
    await selfHosted.waitFor(1);
    const expected = {
      __app__: "checkout",
      cluster: "prod-eu",
      env: "prod",
      region: "eu",
      service_name: "checkout",
    };
    assertEquals(ingestLabels(cloud.ingests[0]!.name), expected);
    assertEquals(ingestLabels(selfHosted.ingests[0]!.name), expected);
    assertEquals(cloud.ingests[0]!.headers.get("authorization"), `Basic ${btoa("123456:s3cret")}`);
    assertEquals(cloud.ingests[0]!.tenant, undefined);
    assertEquals(selfHosted.ingests[0]!.headers.get("authorization"), null);
    assertEquals(selfHosted.ingests[0]!.tenant, "platform");
  } finally {
    await collector.shutdown();
    await cloud.close();
    await selfHosted.close();
  }
});
