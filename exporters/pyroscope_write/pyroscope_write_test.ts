import { admit } from "../../core/admission.ts";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { InvalidItemError } from "../../core/component.ts";
import type { IngestItem, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import {
  componentConformance,
  createForTest,
  testSettings,
} from "../../core/testing/conformance.ts";
import { decodePushRequest } from "../../core/wire/push_proto.ts";
import { pyroscopeWriteExporterFactory } from "./mod.ts";
import type { PyroscopeWriteExporter } from "./pyroscope_write.ts";
import { metricValue } from "../../tests/support/metrics.ts";

componentConformance(pyroscopeWriteExporterFactory, {
  config: { endpoint: [{ url: "http://127.0.0.1:9" }] },
});

interface Seen {
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
}

/** A recording endpoint answering with `answer` (default: a Connect 200). */
function server(answer?: (seen: Seen, index: number) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const srv = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const entry = {
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    seen.push(entry);
    if (answer) return answer(entry, seen.length - 1);
    return new Response(null, { headers: { "content-type": "application/proto" } });
  });
  return { seen, url: `http://127.0.0.1:${srv.addr.port}`, close: () => srv.shutdown() };
}

const pushItem = (labels: Record<string, string>, bytes = [0x1f, 0x8b, 1]): PushItem => ({
  kind: "push",
  labels: LabelSet.from(labels),
  samples: [{ rawProfile: new Uint8Array(bytes), id: "id-1" }],
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function exporter(config: Record<string, unknown>) {
  const settings = testSettings("pyroscope.write/t");
  const exp = createForTest(
    pyroscopeWriteExporterFactory,
    config,
    settings,
  ) as PyroscopeWriteExporter;
  return { exp, metrics: settings.metrics };
}

Deno.test("config: Alloy's defaults and errors that name the field", () => {
  const schema = pyroscopeWriteExporterFactory.configSchema;
  const parsed = schema.parse({ endpoint: [{ url: "http://p:4040" }] });
  const e = parsed.endpoint[0]!;
  assertEquals(
    [
      e.remote_timeout,
      e.min_backoff_period,
      e.max_backoff_period,
      e.max_backoff_retries,
      e.retry_on_http_429,
    ],
    [10_000, 500, 300_000, 10, true],
  );
  assertEquals([parsed.queue.senders, parsed.queue.max_items, parsed.queue.spool], [
    4,
    10_000,
    undefined,
  ]);
  const fail = (config: unknown) => {
    const result = schema.safeParse(config);
    assert(!result.success, "expected a validation error");
    return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };
  assert(fail({ endpoint: [{ url: "p:4040/x y" }] }).includes("url"));
  assert(fail({ endpoint: [{ url: "ftp://p" }] }).includes("http:// or https://"));
  assert(fail({ endpoint: [{ url: "http://p", remote_timeout: "10x" }] }).includes("10x"));
  assert(
    fail({ endpoint: [{ url: "http://p", bearer_token: "a", basic_auth: { username: "u" } }] })
      .includes("at most one of bearer_token, basic_auth"),
  );
  assert(
    fail({ endpoint: [{ url: "http://p", min_backoff_period: "2s", max_backoff_period: "1s" }] })
      .includes("max_backoff_period"),
  );
  assert(fail({ endpoint: [{ url: "http://p" }, { url: "http://p" }] }).includes("distinct name"));
  assert(fail({ endpoint: [{ url: "http://p", bogus: 1 }] }).includes("bogus"));
  assert(fail({ external_labels: { "a-b": "x" } }).includes("external label name"));
});

Deno.test("push: Connect request with the spec's headers, labels prepared, bytes untouched", async () => {
  const srv = server();
  const { exp } = exporter({
    external_labels: { cluster: "c1" },
    endpoint: [{ url: `${srv.url}/prefix/`, headers: { "X-Custom": "1" } }],
  });
  try {
    await exp.start();
    await admit(exp, [
      pushItem({ __name__: "process_cpu", __address__: "a", __tenant_id__: "t1", job: "j" }),
    ]);
    await until(() => srv.seen.length === 1);
    const req = srv.seen[0]!;
    assertEquals(req.path, "/prefix/push.v1.PusherService/Push");
    assertEquals(req.headers.get("content-type"), "application/proto");
    assertEquals(req.headers.get("connect-protocol-version"), "1");
    assertEquals(req.headers.get("connect-timeout-ms"), "10000");
    assertEquals(req.headers.get("user-agent"), "profcol/0.0.0-test");
    assertEquals(req.headers.get("x-custom"), "1");
    assertEquals(req.headers.get("x-scope-orgid"), "t1");
    const series = decodePushRequest(req.body);
    assertEquals(series.length, 1);
    assertEquals(series[0]!.labelPairs, [["__name__", "process_cpu"], ["cluster", "c1"], [
      "job",
      "j",
    ]]);
    assertEquals([...series[0]!.samples[0]!.rawProfile], [0x1f, 0x8b, 1]);
    assertEquals(series[0]!.samples[0]!.id, "id-1");
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("push: queued items of one tenant share a request; tenants never mix", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const srv = server(async (_s, index) => {
    if (index === 0) await gate;
    return new Response(null, { headers: { "content-type": "application/proto" } });
  });
  const { exp } = exporter({ endpoint: [{ url: srv.url }], queue: { senders: 1 } });
  try {
    await exp.start();
    await admit(exp, [pushItem({ __name__: "cpu", n: "0" })]);
    await until(() => srv.seen.length === 1);
    for (let i = 1; i <= 3; i++) await admit(exp, [pushItem({ __name__: "cpu", n: String(i) })]);
    await admit(exp, [pushItem({ __name__: "cpu", n: "4", __tenant_id__: "b" })]);
    release();
    await until(() => srv.seen.length === 3);
    const counts = srv.seen.map((s) => decodePushRequest(s.body).length);
    assertEquals(counts, [1, 3, 1]);
    assertEquals(srv.seen.map((s) => s.headers.get("x-scope-orgid")), [null, null, "b"]);
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("ingest: forwarded with the original body, content types and query; name rebuilt", async () => {
  const srv = server(() => new Response("", { status: 200 }));
  const { exp } = exporter({
    external_labels: { env: "prod", cluster: "cluster-1" },
    endpoint: [{ url: srv.url }],
  });
  const body = new TextEncoder().encode("foo;bar 100\n");
  const item: IngestItem = {
    kind: "ingest",
    labels: LabelSet.from({ __name__: "my.awesome.app.cpu", env: "staging", region: "us-west-1" }),
    body,
    contentType: ["ct1", "ct2"],
    query: [["key", "value"], ["from", "1"], ["spyName", "gospy"]],
  };
  try {
    await exp.start();
    await admit(exp, [item]);
    await until(() => srv.seen.length === 1);
    const req = srv.seen[0]!;
    assertEquals(req.path, "/ingest");
    assertEquals(
      req.query.get("name"),
      "my.awesome.app.cpu{cluster=cluster-1,env=prod,region=us-west-1}",
    );
    assertEquals([...req.query.keys()], ["from", "key", "name", "spyName"]);
    assertEquals(req.headers.get("content-type"), "ct1, ct2");
    assertEquals(req.body, body);
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("refusals: labels the server refuses are rejected by reason; 400 dropped, not retried", async () => {
  const srv = server(() =>
    Response.json({ code: "invalid_argument", message: "bad" }, { status: 400 })
  );
  const { exp, metrics } = exporter({ endpoint: [{ url: srv.url }] });
  try {
    await exp.start();
    await assertRejects(
      () => admit(exp, [pushItem({ job: "no-name" })]),
      InvalidItemError,
      "__name__",
    );
    // Counted by the pipeline (profcol_exporter_refused_profiles_total), not here: nothing
    // was queued, so no delivery metric moved.
    assertEquals(srv.seen.length, 0);
    await admit(exp, [pushItem({ __name__: "cpu" })]);
    await until(() =>
      metricValue(metrics.render(), "profcol_exporter_dropped_profiles_total", {
        reason: "http_400",
      }) === 1
    );
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(srv.seen.length, 1);
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("no endpoints: every item is accepted and nothing is sent (as Alloy)", async () => {
  // A real server beside it, and a control exporter with one endpoint at it: the control's
  // request arrives, so a request from the endpoint-less exporter would have arrived too.
  const srv = server();
  const { exp, metrics } = exporter({});
  const control = exporter({ endpoint: [{ url: srv.url }] }).exp;
  try {
    await exp.start();
    await control.start();
    exp.check({ items: 1_000_000, bytes: 1e12 });
    await admit(exp, [pushItem({ job: "even invalid ones" })]);
    await admit(control, [pushItem({ __name__: "control" })]);
    await until(() => srv.seen.length === 1);
    await exp.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(srv.seen.map((s) => decodePushRequest(s.body)[0]!.labels.get("__name__")), [
      "control",
    ]);
    assertEquals(
      metrics.render().split("\n").filter((l) => l.startsWith("profcol_exporter_requests_total")),
      [],
    );
  } finally {
    await control.shutdown();
    await srv.close();
  }
});

Deno.test("two endpoints: one down never delays the other", async () => {
  const good = server();
  const { exp, metrics } = exporter({
    endpoint: [
      {
        url: "http://127.0.0.1:9",
        name: "down",
        min_backoff_period: "1s",
        max_backoff_period: "1s",
      },
      { url: good.url, name: "up" },
    ],
    queue: { drain_timeout: "20ms" },
  });
  try {
    await exp.start();
    for (let i = 0; i < 5; i++) await admit(exp, [pushItem({ __name__: "cpu", n: String(i) })]);
    await until(() =>
      metricValue(metrics.render(), "profcol_exporter_sent_profiles_total", {
        component_id: "pyroscope.write/t",
        endpoint: "up",
      }) === 5
    );
  } finally {
    await exp.shutdown();
    await good.close();
  }
});

Deno.test("reload: an endpoint or component a reload removes leaves /metrics; a kept one stays", async () => {
  const a = server();
  const b = server();
  const settings = testSettings("pyroscope.write/t");
  const create = (endpoints: string[]) =>
    createForTest(
      pyroscopeWriteExporterFactory,
      { endpoint: endpoints.map((name) => ({ url: name === "a" ? a.url : b.url, name })) },
      settings,
    ) as PyroscopeWriteExporter;
  const endpointLines = (name: string) =>
    settings.metrics.render().split("\n").filter((l) => l.includes(`endpoint="${name}"`));
  try {
    const first = create(["a", "b"]);
    await first.start();
    await admit(first, [pushItem({ __name__: "cpu", n: "1" })]);
    await until(() => a.seen.length === 1 && b.seen.length === 1);
    await until(() => endpointLines("b").some((l) => l.startsWith("pyroscope_write_latency")));
    // The reload drops endpoint b.
    const second = create(["a"]);
    await second.start();
    await second.adopt(first);
    await first.shutdown();
    assertEquals(endpointLines("b"), [], "no series of the removed endpoint");
    assert(endpointLines("a").some((l) => l.startsWith("profcol_exporter_sent_profiles_total")));
    await admit(second, [pushItem({ __name__: "cpu", n: "2" })]);
    await until(() => a.seen.length === 2);
    // The component itself goes away.
    await second.shutdown();
    assertEquals(endpointLines("a"), [], "no series of the removed component");
  } finally {
    await a.close();
    await b.close();
  }
});
