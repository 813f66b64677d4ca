import { gzipSync } from "fflate";
import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { BackpressureError, InvalidItemError, TooLargeError } from "../../core/admission.ts";
import type { IngestItem, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance } from "../../core/testing/conformance.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { pyroscopeReceiveHttpReceiverFactory } from "./mod.ts";
import {
  inProcessReceiver,
  multipartBody,
  type Running,
  startReceiver,
  TOY_PPROF,
} from "./test_helpers.ts";

componentConformance(pyroscopeReceiveHttpReceiverFactory, {
  config: { http: { listen_address: "127.0.0.1", listen_port: 0 } },
});

const PUSH_PROTO = { "content-type": "application/proto" };

function pushBody(labels: Record<string, string>, raw = TOY_PPROF, id?: string): Uint8Array {
  return encodePushRequest([{
    labels: LabelSet.from(labels),
    samples: [id ? { rawProfile: raw, id } : { rawProfile: raw }],
  }]);
}

type Body = BodyInit | Uint8Array | null;

/** POSTs to `rx` (in process, or over its socket). */
async function post(rx: Running, path: string, body: Body, headers: HeadersInit = {}) {
  const response = await rx.fetch(path, { method: "POST", body: body as BodyInit | null, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

Deno.test("ingest: folded body forwarded untouched with labels, query and Content-Type", async () => {
  await using rx = inProcessReceiver();
  const body = new TextEncoder().encode("foo;bar 100\nfoo;baz 200\n");
  const res = await post(
    rx,
    `/ingest?name=myapp.cpu%7Benv%3Dprod%7D&from=1615709120&until=1615709130&sampleRate=100&spyName=pyspy&custom=a+b`,
    body,
    { "content-type": "text/plain" },
  );
  assertEquals([res.status, res.text], [200, ""]);
  const item = rx.consumer.items[0] as IngestItem;
  assertEquals(item.kind, "ingest");
  assertEquals(item.labels.toRecord(), {
    __name__: "myapp.cpu",
    env: "prod",
    service_name: "myapp.cpu",
  });
  assertEquals(item.body, body);
  assertEquals(item.contentType, ["text/plain"]);
  assertEquals(item.query, [
    ["from", "1615709120"],
    ["until", "1615709130"],
    ["sampleRate", "100"],
    ["spyName", "pyspy"],
    ["custom", "a b"],
  ]);
});

Deno.test("ingest: name cases of docs/spec/pyroscope-wire.md §5.2 with ensureServiceName; /pyroscope/ingest too", async () => {
  await using rx = inProcessReceiver();
  const cases: [string, Record<string, string>][] = [
    ["test_app", { __name__: "test_app", service_name: "test_app" }],
    ["test.app{env=prod,region=us-east}", {
      __name__: "test.app",
      service_name: "test.app",
      env: "prod",
      region: "us-east",
    }],
    ["test.app{invalid-label-syntax}", { __name__: "test.app", service_name: "test.app" }],
    ["test.app{service_name=my-service}", {
      __name__: "test.app",
      service_name: "my-service",
      app_name: "test.app",
    }],
  ];
  for (const [i, [name, expected]] of cases.entries()) {
    const path = i % 2 === 0 ? "/ingest" : "/pyroscope/ingest";
    const res = await post(rx, `${path}?name=${encodeURIComponent(name)}`, "a;b 1");
    assertEquals(res.status, 200, name);
    assertEquals(rx.consumer.items[i]!.labels.toRecord(), expected, name);
  }
});

Deno.test("ingest: 400 for a missing or invalid name, an empty body, an unknown format", async () => {
  await using rx = inProcessReceiver();
  const cases: [string, Body, string][] = [
    ["/ingest", "a;b 1", "name: query parameter is required"],
    ["/ingest?name=", "a;b 1", "name: query parameter is required"],
    ["/ingest?name=my%20app", "a;b 1", "name: invalid service name: my app"],
    ["/ingest?name=app%7Ba-b%3Dc%7D", "a;b 1", "name: invalid label name: a-b"],
    ["/ingest?name=app", "", "request body is empty"],
    ["/ingest?name=app&format=gif", "a;b 1", 'format: unknown value "gif"'],
  ];
  for (const [path, body, message] of cases) {
    const res = await post(rx, `${path}`, body);
    assertEquals(res.status, 400, path);
    assertEquals(res.headers.get("content-type"), "application/json");
    const json = JSON.parse(res.text);
    assertEquals(json.code, "invalid_argument");
    assertStringIncludes(json.message, message);
  }
  assertEquals(rx.consumer.items.length, 0);
});

Deno.test("ingest: pprof bodies, raw and multipart, checked cheaply (422 when not a profile)", async () => {
  await using rx = inProcessReceiver();
  const gz = gzipSync(TOY_PPROF);
  assertEquals((await post(rx, `/ingest?name=app&format=pprof`, gz)).status, 200);
  assertEquals((await post(rx, `/ingest?name=app&format=pprof`, TOY_PPROF)).status, 200);
  const html = await post(rx, `/ingest?name=app&format=pprof`, "<html><body>x</body></html>");
  assertEquals(html.status, 422);
  assertStringIncludes(html.text, "format=pprof body is not a pprof profile: looks like HTML");

  const good = multipartBody([
    { name: "profile", filename: "profile.pprof", data: gz },
    { name: "sample_type_config", filename: "sample_type_config.json", data: '{"x":{}}' },
  ]);
  const ok = await post(rx, `/ingest?name=app&spyName=gospy`, good.body, {
    "content-type": good.contentType,
  });
  assertEquals(ok.status, 200);
  const item = rx.consumer.items.at(-1) as IngestItem;
  assertEquals(item.body, good.body);
  assertEquals(item.contentType, [good.contentType]);

  const garbage = multipartBody([{
    name: "profile",
    filename: "p",
    data: new Uint8Array([0xff, 0xff, 0xff, 0xff]),
  }]);
  const bad = await post(rx, `/ingest?name=app`, garbage.body, {
    "content-type": garbage.contentType,
  });
  assertEquals(bad.status, 422);
  assertStringIncludes(bad.text, "multipart part profile is not a pprof profile");

  const cases: [Uint8Array, string, string][] = [
    [good.body.subarray(0, 60), good.contentType, "multipart body is malformed or truncated"],
    [good.body, "multipart/form-data", "no boundary parameter"],
    [
      multipartBody([{ name: "prev_profile", filename: "p", data: gz }]).body,
      good.contentType,
      "unsupported client version",
    ],
    [
      multipartBody([{ name: "sample_type_config", filename: "s", data: "{nope" }]).body,
      good.contentType,
      "sample_type_config is not valid JSON",
    ],
  ];
  for (const [body, contentType, message] of cases) {
    const res = await post(rx, `/ingest?name=app`, body, { "content-type": contentType });
    assertEquals(res.status, 400, message);
    assertStringIncludes(res.text, message);
  }
});

Deno.test("ingest: jfr multipart needs a jfr part; other formats pass through", async () => {
  await using rx = inProcessReceiver();
  const jfr = multipartBody([
    { name: "jfr", filename: "jfr", data: "FLR\0..." },
    { name: "labels", filename: "labels", data: new Uint8Array([0x12, 0x00]) },
  ]);
  const ok = await post(rx, `/ingest?name=app&format=jfr`, jfr.body, {
    "content-type": jfr.contentType,
  });
  assertEquals(ok.status, 200);
  const missing = multipartBody([{ name: "labels", filename: "labels", data: "x" }]);
  const res = await post(rx, `/ingest?name=app&format=jfr`, missing.body, {
    "content-type": missing.contentType,
  });
  assertEquals(res.status, 400);
  assertStringIncludes(res.text, "no jfr file part");
  for (const format of ["lines", "trie", "tree", "speedscope"]) {
    assertEquals((await post(rx, `/ingest?name=app&format=${format}`, "x")).status, 200);
  }
});

Deno.test("routes: 405 with Allow, 404 for other paths, Connect 404 for other procedures", async () => {
  await using rx = inProcessReceiver();
  for (const path of ["/ingest", "/push.v1.PusherService/Push"]) {
    const res = await rx.fetch(path);
    await res.body?.cancel();
    assertEquals([res.status, res.headers.get("allow")], [405, "POST"]);
  }
  const other = await post(rx, `/nope`, "x");
  assertEquals(other.status, 404);
  const procedure = await post(rx, `/push.v1.PusherService/Other`, "", PUSH_PROTO);
  assertEquals(procedure.status, 404);
  assertEquals(JSON.parse(procedure.text).code, "not_found");
});

Deno.test("push: proto and JSON, gzip request, labels as sent (no app_name quirk)", async () => {
  await using rx = inProcessReceiver();
  const proto = await post(
    rx,
    `/push.v1.PusherService/Push`,
    pushBody({ __name__: "process_cpu", service_name: "svc" }, TOY_PPROF, "id-1"),
    PUSH_PROTO,
  );
  assertEquals([proto.status, proto.headers.get("content-type"), proto.text], [
    200,
    "application/proto",
    "",
  ]);
  const item = rx.consumer.items[0] as PushItem;
  assertEquals(item.labels.toRecord(), { __name__: "process_cpu", service_name: "svc" });
  assertEquals(item.samples[0]!.id, "id-1");
  assertEquals(item.samples[0]!.rawProfile, TOY_PPROF);

  const json = await post(
    rx,
    `/push.v1.PusherService/Push`,
    JSON.stringify({
      series: [{
        labels: [{ name: "__name__", value: "memory" }],
        samples: [{ rawProfile: "CgQIARAC" }],
      }],
    }),
    { "content-type": "application/json; charset=utf-8" },
  );
  assertEquals([json.status, json.headers.get("content-type"), json.text], [
    200,
    "application/json",
    "{}",
  ]);
  // No service_name derived from __name__ (the profile type) on push.
  assertEquals(rx.consumer.items[1]!.labels.toRecord(), { __name__: "memory" });

  const gz = await post(
    rx,
    `/push.v1.PusherService/Push`,
    gzipSync(pushBody({ service_name: "z" })),
    { ...PUSH_PROTO, "content-encoding": "gzip" },
  );
  assertEquals(gz.status, 200);
  assertEquals(rx.consumer.items[2]!.labels.toRecord(), { service_name: "z" });
});

Deno.test("push: 415 with Accept-Post (plain gRPC included), 415 for unknown encodings", async () => {
  await using rx = inProcessReceiver();
  for (const type of ["text/plain", "application/grpc", "application/grpc+proto", ""]) {
    const res = await post(rx, `/push.v1.PusherService/Push`, "x", { "content-type": type });
    assertEquals(res.status, 415, type);
    assertEquals(
      res.headers.get("accept-post"),
      "application/proto, application/json, application/grpc-web+proto, application/grpc-web+json",
    );
  }
  const grpc = await post(rx, `/push.v1.PusherService/Push`, "x", {
    "content-type": "application/grpc",
  });
  assertStringIncludes(grpc.text, "needs HTTP trailers");
  assertStringIncludes(grpc.text, "gRPC-Web (application/grpc-web+proto)");
  assertEquals(grpc.headers.get("grpc-status"), "12");
  const br = await post(rx, `/push.v1.PusherService/Push`, "x", {
    ...PUSH_PROTO,
    "content-encoding": "br",
  });
  // The same status as the otlp receiver (one mapping in core/ingest/refusal.ts).
  assertEquals(br.status, 415);
  assertEquals(br.headers.get("accept-encoding"), "gzip, identity");
  assertEquals(JSON.parse(br.text).code, "unimplemented");
});

Deno.test("push: 400 invalid_argument for garbage protobuf, bad JSON, bad raw_profile, bad gzip", async () => {
  await using rx = inProcessReceiver();
  const url = `/push.v1.PusherService/Push`;
  const json = { "content-type": "application/json" };
  const cases: [Body, HeadersInit, string][] = [
    [new Uint8Array([0x0a, 0x7f, 0x01]), PUSH_PROTO, "unmarshal message:"],
    [new Uint8Array([0xff, 0xff, 0xff]), PUSH_PROTO, "unmarshal message:"],
    ["{oops", json, "unmarshal message: invalid JSON"],
    ['{"series":[{"labels":[{"name":1}]}]}', json, "series[0].labels[0].name"],
    [
      encodePushRequest([
        { labels: LabelSet.from({ a: "1" }), samples: [{ rawProfile: TOY_PPROF }] },
        {
          labels: LabelSet.from({ a: "2" }),
          samples: [{ rawProfile: new Uint8Array([0xff, 1, 2]) }],
        },
      ]),
      PUSH_PROTO,
      "series[1].samples[0].raw_profile is not a pprof profile",
    ],
    [new Uint8Array([0x1f, 0x8b, 0, 0]), { ...PUSH_PROTO, "content-encoding": "gzip" }, "gzip"],
  ];
  for (const [body, headers, message] of cases) {
    const res = await post(rx, url, body, headers);
    assertEquals(res.status, 400, message);
    assertEquals(res.headers.get("content-type"), "application/json");
    const error = JSON.parse(res.text);
    assertEquals(error.code, "invalid_argument");
    assertStringIncludes(error.message, message);
  }
  // A request with one bad series forwards nothing, not even the good series before it.
  assertEquals(rx.consumer.items.length, 0);
});

Deno.test("limits: 413 by Content-Length, while reading, and after gunzip", async () => {
  // Over a real socket: Content-Length and chunked framing are the point here.
  await using rx = await startReceiver({ max_request_body_size: 64 });
  const big = new Uint8Array(65).fill(0x0a);
  const ingest = await post(rx, `/ingest?name=app`, big);
  assertEquals(ingest.status, 413);
  assertStringIncludes(ingest.text, "larger than the limit of 64 bytes");
  const streamed = new ReadableStream({
    start(c) {
      c.enqueue(new Uint8Array(40));
      c.enqueue(new Uint8Array(40));
      c.close();
    },
  });
  const chunked = await post(rx, `/push.v1.PusherService/Push`, streamed, PUSH_PROTO);
  assertEquals(chunked.status, 413);
  assertEquals(JSON.parse(chunked.text).code, "invalid_argument");
  const bomb = gzipSync(new Uint8Array(1000));
  const gz = await post(rx, `/push.v1.PusherService/Push`, bomb, {
    ...PUSH_PROTO,
    "content-encoding": "gzip",
  });
  assertEquals(gz.status, 413);
  assertStringIncludes(gz.text, "decompressed request body is larger");
});

Deno.test("backpressure: 429 with Retry-After from the pipeline; 400 and 500 otherwise", async () => {
  await using rx = inProcessReceiver();
  rx.consumer.fail = () => new BackpressureError("exporter queue full", 7);
  const ingest = await post(rx, `/ingest?name=app`, "a 1");
  assertEquals([ingest.status, ingest.headers.get("retry-after")], [429, "7"]);
  assertEquals(JSON.parse(ingest.text).code, "resource_exhausted");
  const push = await post(rx, `/push.v1.PusherService/Push`, pushBody({ a: "b" }), PUSH_PROTO);
  assertEquals([push.status, push.headers.get("retry-after")], [429, "7"]);
  assertEquals(JSON.parse(push.text), {
    code: "resource_exhausted",
    message: "exporter queue full",
  });

  rx.consumer.fail = () => new InvalidItemError("labels rejected: bad", "invalid_labels");
  const invalid = await post(rx, `/push.v1.PusherService/Push`, pushBody({ a: "b" }), PUSH_PROTO);
  assertEquals(invalid.status, 400);
  assertEquals(JSON.parse(invalid.text).code, "invalid_argument");

  rx.consumer.fail = () => new Error("disk on fire");
  const internal = await post(rx, `/push.v1.PusherService/Push`, pushBody({ a: "b" }), PUSH_PROTO);
  assertEquals(internal.status, 500);
  assertEquals(JSON.parse(internal.text).code, "internal");
  const internalIngest = await post(rx, `/ingest?name=app`, "a 1");
  assertEquals(internalIngest.status, 500);
});

Deno.test("backpressure: max_requests_in_flight answers 429 instead of queueing", async () => {
  await using rx = inProcessReceiver({ max_requests_in_flight: 1, retry_after: "3s" });
  const release = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  const consume = rx.consumer.consume.bind(rx.consumer);
  rx.consumer.consume = async (items) => {
    entered.resolve();
    await release.promise;
    return consume(items);
  };
  const first = post(rx, `/ingest?name=app`, "a 1");
  await entered.promise;
  const second = await post(rx, `/ingest?name=app`, "a 1");
  assertEquals([second.status, second.headers.get("retry-after")], [429, "3"]);
  assertStringIncludes(second.text, "max_requests_in_flight 1");
  release.resolve();
  assertEquals((await first).status, 200);
});

Deno.test("auth: basic users and bearer tokens, 401 with WWW-Authenticate", async () => {
  await using rx = inProcessReceiver({
    auth: { basic_auth: [{ username: "sdk", password: "s3cret" }], bearer_tokens: ["tok-1"] },
  });
  const url = `/ingest?name=app`;
  const none = await post(rx, url, "a 1");
  assertEquals(none.status, 401);
  assertStringIncludes(none.headers.get("www-authenticate")!, "Basic");
  assertStringIncludes(none.headers.get("www-authenticate")!, "Bearer");
  assertEquals(JSON.parse(none.text).code, "unauthenticated");
  const wrong = await post(rx, url, "a 1", { authorization: `Basic ${btoa("sdk:nope")}` });
  assertEquals(wrong.status, 401);
  assert(!wrong.text.includes("nope"));
  assertEquals(
    (await post(rx, url, "a 1", { authorization: `Basic ${btoa("sdk:s3cret")}` })).status,
    200,
  );
  assertEquals((await post(rx, url, "a 1", { authorization: "Bearer tok-1" })).status, 200);
  assertEquals((await post(rx, url, "a 1", { authorization: "Bearer tok-2" })).status, 401);
  const push = await post(rx, `/push.v1.PusherService/Push`, pushBody({ a: "b" }), PUSH_PROTO);
  assertEquals([push.status, JSON.parse(push.text).code], [401, "unauthenticated"]);
});

Deno.test("tenant: X-Scope-OrgID becomes __tenant_id__, set from the header only", async () => {
  await using rx = inProcessReceiver();
  await post(rx, `/ingest?name=app`, "a 1", { "x-scope-orgid": "team-a" });
  await post(
    rx,
    `/push.v1.PusherService/Push`,
    pushBody({ service_name: "s", __tenant_id__: "spoofed" }),
    { ...PUSH_PROTO, "X-Scope-OrgID": "team-b" },
  );
  await post(
    rx,
    `/push.v1.PusherService/Push`,
    pushBody({ service_name: "s", __tenant_id__: "spoofed" }),
    PUSH_PROTO,
  );
  assertEquals(rx.consumer.items.map((i) => i.labels.get("__tenant_id__")), [
    "team-a",
    "team-b",
    undefined,
  ]);

  await using required = inProcessReceiver({ tenant: { required: true } });
  const res = await post(required, `/ingest?name=app`, "a 1");
  assertEquals(res.status, 401);
  assertStringIncludes(res.text, "missing X-Scope-OrgID header");

  await using off = inProcessReceiver({ tenant: { enabled: false } });
  await post(off, `/ingest?name=app`, "a 1", { "x-scope-orgid": "team-a" });
  assertEquals(off.consumer.items[0]!.labels.has("__tenant_id__"), false);
});

Deno.test("metrics: requests by route and status, bytes, rejected by reason, in-flight", async () => {
  await using rx = inProcessReceiver();
  await post(rx, `/ingest?name=app`, "a 1");
  await post(rx, `/ingest?name=app&format=gif`, "a 1");
  const text = rx.metrics.render();
  const component_id = "pyroscope.receive_http/test";
  const value = (name: string, labels: string[], values: Record<string, string>) =>
    rx.metrics.counter(name, "", ["component_id", ...labels]).get({ component_id, ...values });
  const requests = "profcol_receive_http_requests_total";
  assertEquals(value(requests, ["route", "status"], { route: "ingest", status: "200" }), 1);
  assertEquals(value(requests, ["route", "status"], { route: "ingest", status: "400" }), 1);
  assertEquals(
    value("profcol_receive_http_received_bytes_total", ["route"], { route: "ingest" }),
    6,
  );
  assertEquals(
    value("profcol_receive_http_refused_requests_total", ["reason"], { reason: "bad_format" }),
    1,
  );
  assertEquals(
    rx.metrics.gauge("profcol_receive_http_requests_in_flight", "", ["component_id"]).get({
      component_id,
    }),
    0,
  );
  // Accepted profiles are the pipeline's counter (one family for every receiver).
  assertEquals(
    value("profcol_receive_http_accepted_profiles_total", ["route"], { route: "ingest" }),
    0,
  );
  assert(!text.includes("profcol_receive_http_accepted_profiles_total"), "no duplicate family");
  assert(!text.includes("app"), "no service or app names in metrics");
});

Deno.test("config: defaults, secrets named for redaction, mTLS refused", () => {
  const parsed = pyroscopeReceiveHttpReceiverFactory.configSchema.parse({});
  assertEquals(parsed.http.listen_port, 8080);
  assertEquals(parsed.max_request_body_size, 16 * 1024 * 1024);
  assertEquals(parsed.max_requests_in_flight, 64);
  assertEquals(parsed.tenant, {
    enabled: true,
    from_header: "X-Scope-OrgID",
    label: "__tenant_id__",
    required: false,
  });
  const mtls = pyroscopeReceiveHttpReceiverFactory.configSchema.safeParse({
    tls: { cert_file: "c", key_file: "k", client_ca_file: "ca" },
  });
  assert(!mtls.success);
  assertStringIncludes(mtls.error.issues[0]!.message, "not supported by Deno's HTTP server");
  const typo = pyroscopeReceiveHttpReceiverFactory.configSchema.safeParse({ htp: {} });
  assert(!typo.success);
});

Deno.test("labels: names and values that are not valid UTF-8 get 400 naming the label", async () => {
  await using rx = inProcessReceiver();
  const sample = [0x0a, TOY_PPROF.length, ...TOY_PPROF]; // RawSample.raw_profile
  const label = [0x0a, 3, ...new TextEncoder().encode("env"), 0x12, 2, 0xff, 0xfe]; // LabelPair
  const series = [0x0a, label.length, ...label, 0x12, sample.length, ...sample];
  const proto = await post(
    rx,
    "/push.v1.PusherService/Push",
    new Uint8Array([0x0a, series.length, ...series]),
    PUSH_PROTO,
  );
  assertEquals([proto.status, JSON.parse(proto.text)], [400, {
    code: "invalid_argument",
    message: "unmarshal message: series[0].labels[0].value: string field contains invalid UTF-8",
  }]);

  const encoder = new TextEncoder();
  const head = encoder.encode('{"series":[{"labels":[{"name":"a","value":"1"},{"name":"');
  const tail = encoder.encode(
    '","value":"x"}],"samples":[{"rawProfile":"CgQIARAC"}]}]}',
  );
  const rawBytes = await post(
    rx,
    "/push.v1.PusherService/Push",
    new Uint8Array([...head, 0xc3, 0x28, ...tail]),
    { "content-type": "application/json" },
  );
  assertEquals([rawBytes.status, JSON.parse(rawBytes.text)], [400, {
    code: "invalid_argument",
    message: "unmarshal message: series[0].labels[1].name: string field contains invalid UTF-8",
  }]);
  const surrogate = await post(
    rx,
    "/push.v1.PusherService/Push",
    '{"series":[{"labels":[{"name":"env","value":"\\ud800"}],"samples":[]}]}',
    { "content-type": "application/json" },
  );
  assertEquals([surrogate.status, JSON.parse(surrogate.text)], [400, {
    code: "invalid_argument",
    message: "unmarshal message: series[0].labels[0].value: string field contains invalid UTF-8",
  }]);

  const value = await post(rx, "/ingest?name=app%7Benv%3D%FF%7D", "a;b 1");
  assertEquals([value.status, JSON.parse(value.text)], [400, {
    code: "invalid_argument",
    message: 'name: label "env" is not valid UTF-8',
  }]);
  const app = await post(rx, "/ingest?name=%C3app", "a;b 1");
  assertEquals([app.status, JSON.parse(app.text)], [400, {
    code: "invalid_argument",
    message: "name: the application name is not valid UTF-8",
  }]);
  // A real U+FFFD, sent as valid UTF-8, is a value like any other.
  const real = await post(rx, "/ingest?name=app%7Benv%3D%EF%BF%BD%7D", "a;b 1");
  assertEquals(real.status, 200);
  assertEquals(rx.consumer.items.map((i) => i.labels.get("env")), ["\uFFFD"]);
});

Deno.test("push: a request is handed to the pipeline whole, in one call", async () => {
  await using rx = inProcessReceiver();
  const body = encodePushRequest([
    { labels: LabelSet.from({ service_name: "a" }), samples: [{ rawProfile: TOY_PPROF }] },
    { labels: LabelSet.from({ service_name: "b" }), samples: [{ rawProfile: TOY_PPROF }] },
    { labels: LabelSet.from({ service_name: "c" }), samples: [] },
  ]);
  assertEquals((await post(rx, "/push.v1.PusherService/Push", body, PUSH_PROTO)).status, 200);
  assertEquals(
    rx.consumer.requests.map((request) => request.map((i) => i.labels.get("service_name"))),
    [["a", "b"]],
  );
  rx.consumer.fail = () => new TooLargeError("3 items are more than queue.max_items (2) of e");
  const tooLarge = await post(rx, "/push.v1.PusherService/Push", body, PUSH_PROTO);
  assertEquals([tooLarge.status, JSON.parse(tooLarge.text)], [413, {
    code: "invalid_argument",
    message: "3 items are more than queue.max_items (2) of e",
  }]);
});

/** A gRPC-Web frame. */
function grpcFrame(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, 5);
  return out;
}

/** POSTs a gRPC-Web request; the answer's body as bytes. */
async function postGrpcWeb(rx: Running, body: Uint8Array, headers: Record<string, string>) {
  const response = await rx.fetch(`/push.v1.PusherService/Push`, {
    method: "POST",
    body: body as BodyInit,
    headers,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes };
}

/** The frames of a gRPC-Web answer: [flags, payload text]. */
function grpcFrames(bytes: Uint8Array): [number, string][] {
  const frames: [number, string][] = [];
  for (let at = 0; at < bytes.byteLength;) {
    const length = new DataView(bytes.buffer, at + 1, 4).getUint32(0);
    frames.push([bytes[at]!, new TextDecoder().decode(bytes.subarray(at + 5, at + 5 + length))]);
    at += 5 + length;
  }
  return frames;
}

Deno.test("push: gRPC-Web (proto, json, gzip frame); status in a trailers frame", async () => {
  await using rx = inProcessReceiver();
  for (const type of ["application/grpc-web", "application/grpc-web+proto"]) {
    const res = await postGrpcWeb(rx, grpcFrame(0, pushBody({ service_name: type })), {
      "content-type": type,
    });
    assertEquals([res.status, res.headers.get("content-type")], [200, type]);
    assertEquals(grpcFrames(res.bytes), [[0, ""], [0x80, "grpc-status: 0\r\ngrpc-message: \r\n"]]);
  }
  const json = new TextEncoder().encode(
    '{"series":[{"labels":[{"name":"service_name","value":"j"}],"samples":[{"rawProfile":"CgQIARAC"}]}]}',
  );
  const resJson = await postGrpcWeb(rx, grpcFrame(0, json), {
    "content-type": "application/grpc-web+json",
  });
  assertEquals(grpcFrames(resJson.bytes)[0], [0, "{}"]);
  const gz = await postGrpcWeb(rx, grpcFrame(1, gzipSync(pushBody({ service_name: "gz" }))), {
    "content-type": "application/grpc-web+proto",
    "grpc-encoding": "gzip",
  });
  assertEquals(grpcFrames(gz.bytes).at(-1), [0x80, "grpc-status: 0\r\ngrpc-message: \r\n"]);
  assertEquals(
    rx.consumer.items.map((i) => (i as PushItem).labels.get("service_name")),
    ["application/grpc-web", "application/grpc-web+proto", "j", "gz"],
  );

  // Errors: HTTP 200, gRPC status and percent-encoded message in the trailers frame.
  const bad = await postGrpcWeb(rx, grpcFrame(0, new Uint8Array([0xff, 0xff])).subarray(0, 6), {
    "content-type": "application/grpc-web+proto",
  });
  assertEquals(bad.status, 200);
  const [[flags, trailer]] = grpcFrames(bad.bytes) as [[number, string]];
  assertEquals(flags, 0x80);
  assertStringIncludes(trailer, "grpc-status: 3\r\n");
  assertStringIncludes(trailer, "grpc-message: gRPC-Web unary request must be one frame");
  const notPprof = await postGrpcWeb(
    rx,
    grpcFrame(0, pushBody({ service_name: "x" }, new TextEncoder().encode("not pprof"))),
    { "content-type": "application/grpc-web+proto" },
  );
  assertStringIncludes(grpcFrames(notPprof.bytes)[0]![1], "grpc-status: 3\r\n");
  assertEquals(rx.consumer.items.length, 4, "nothing of a refused request is accepted");
});
