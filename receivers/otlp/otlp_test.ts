import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../../tests/support/assert.ts";
import { canonicalProfile } from "../../tests/support/pprof_canonical.ts";
import { BackpressureError, InvalidItemError, TooLargeError } from "../../core/admission.ts";
import type { Consumer } from "../../core/component.ts";
import type { Item, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { pprofToOtlp } from "../../otlp/otlp_pprof.ts";
import { encodeExportRequest, type ExportProfilesRequest } from "../../otlp/otlp_profiles.ts";
import { encodeExportRequestJson } from "../../tests/support/otlp_json.ts";
import { ProtoReader, ProtoWriter } from "../../core/wire/protobuf.ts";
import { gunzipIfNeeded, gzip } from "../../pprof/gzip.ts";
import { decodeProfile, type Profile } from "../../pprof/profile.ts";
import { otlpReceiverConfigSchema } from "./config.ts";
import { OtlpReceiver, otlpReceiverFactory } from "./mod.ts";

componentConformance(otlpReceiverFactory, {
  config: { protocols: { http: { endpoint: "127.0.0.1:0" } } },
});

const CPU = decodeProfile(
  gunzipIfNeeded(
    Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url)),
    1 << 28,
  ),
);
const HEAP = decodeProfile(
  gunzipIfNeeded(
    Deno.readFileSync(new URL("../../pprof/testdata/heap.pb.gz", import.meta.url)),
    1 << 28,
  ),
);

class Sink implements Consumer {
  readonly requests: (readonly Item[])[] = [];
  fail: (() => Error) | undefined;
  consume(items: readonly Item[]): Promise<void> {
    if (this.fail) return Promise.reject(this.fail());
    this.requests.push(items);
    return Promise.resolve();
  }
  check(): void {}
}

function receiver(config: Record<string, unknown> = {}, sink = new Sink()) {
  const parsed = otlpReceiverConfigSchema.parse(config);
  return { receiver: new OtlpReceiver(testSettings("otlp/test"), parsed, sink), sink };
}

function request(): ExportProfilesRequest {
  return pprofToOtlp([
    { labels: LabelSet.from({ service_name: "api", region: "eu" }), profiles: [CPU] },
    { labels: LabelSet.from({ service_name: "db" }), profiles: [HEAP] },
  ]);
}

function post(
  body: BodyInit,
  contentType = "application/x-protobuf",
  headers: Record<string, string> = {},
  path = "/v1development/profiles",
): Request {
  return new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    body,
    headers: { "content-type": contentType, ...headers },
  });
}

function pprofOf(item: Item, at = 0): Profile {
  const push = item as PushItem;
  return decodeProfile(gunzipIfNeeded(push.samples[at]!.rawProfile, 1 << 28));
}

/** `google.rpc.Status` → `{ code, message }`. */
function status(bytes: Uint8Array): { code: number; message: string } {
  const r = new ProtoReader(bytes);
  const out = { code: 0, message: "" };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x08) out.code = r.int32();
    else if (tag === 0x12) out.message = r.string();
    else r.skip(tag);
  }
  return out;
}

Deno.test("otlp receiver: protobuf request → one push item per series with the same samples", async () => {
  const { receiver: rx, sink } = receiver();
  const response = await rx.handle(post(encodeExportRequest(request()) as BodyInit));
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "application/x-protobuf");
  assertEquals((await response.bytes()).length, 0, "no partial success: an empty response");
  assertEquals(sink.requests.length, 1, "the whole request in one consume call");
  const items = sink.requests[0]!;
  assertEquals(items.map((item) => item.labels.toRecord()), [
    { __name__: "process_cpu", region: "eu", service_name: "api" },
    { __name__: "memory", service_name: "db" },
  ]);
  assertEquals(canonicalProfile(pprofOf(items[0]!)), canonicalProfile(CPU));
  assertEquals(canonicalProfile(pprofOf(items[1]!)), canonicalProfile(HEAP));
});

Deno.test("otlp receiver: JSON and gzip request bodies", async () => {
  const { receiver: rx, sink } = receiver();
  const json = encodeExportRequestJson(request());
  const plain = await rx.handle(post(json, "application/json"));
  assertEquals(plain.status, 200);
  assertEquals(plain.headers.get("content-type"), "application/json");
  assertEquals(await plain.text(), "{}");
  const zipped = await rx.handle(
    post(gzip(encodeExportRequest(request())) as BodyInit, "application/x-protobuf", {
      "content-encoding": "gzip",
    }),
  );
  assertEquals(zipped.status, 200);
  assertEquals(sink.requests.length, 2);
  for (const items of sink.requests) {
    assertEquals(canonicalProfile(pprofOf(items[1]!)), canonicalProfile(HEAP));
  }
});

Deno.test("otlp receiver: unconvertible profiles are reported in partialSuccess, the rest forwarded", async () => {
  const { receiver: rx, sink } = receiver();
  const req = request();
  const profiles = req.resourceProfiles[0]!.scopeProfiles[0]!.profiles;
  profiles.push({ ...profiles[0]!, sampleType: { typeStrindex: 9999, unitStrindex: 0 } });
  const json = await rx.handle(post(encodeExportRequestJson(req), "application/json"));
  assertEquals(json.status, 200);
  const body = await json.json();
  assertEquals(body.partialSuccess.rejectedProfiles, "1");
  assertStringIncludes(body.partialSuccess.errorMessage, "sample_type string 9999 is out of range");
  assertEquals(sink.requests[0]!.length, 2);
  const proto = await rx.handle(post(encodeExportRequest(req) as BodyInit));
  const r = new ProtoReader(await proto.bytes());
  assertEquals(r.tag(), 0x0a);
  const partial = r.sub();
  assertEquals(partial.tag(), 0x08);
  assertEquals(partial.int64(), 1);
});

Deno.test("otlp receiver: refusals are atomic and typed — 429 with Retry-After, 413, 400", async () => {
  const cases: [() => Error, number, number][] = [
    [() => new BackpressureError("queue full", 3), 429, 8],
    [() => new TooLargeError("never fits"), 413, 3],
    [() => new InvalidItemError("label too long", "invalid_label"), 400, 3],
  ];
  for (const [fail, code, grpc] of cases) {
    const { receiver: rx, sink } = receiver();
    sink.fail = fail;
    const response = await rx.handle(post(encodeExportRequest(request()) as BodyInit));
    assertEquals(response.status, code);
    assertEquals(response.headers.get("content-type"), "application/x-protobuf");
    const body = status(await response.bytes());
    assertEquals(body.code, grpc);
    assertStringIncludes(body.message, fail().message);
    if (code === 429) assertEquals(response.headers.get("retry-after"), "3");
    assertEquals(sink.requests.length, 0);
  }
});

Deno.test("otlp receiver: body limits before and after gzip; corrupt gzip; bad messages", async () => {
  const { receiver: rx } = receiver({ protocols: { http: { max_request_body_size: "1KiB" } } });
  const big = encodeExportRequest(request());
  assertEquals((await rx.handle(post(big as BodyInit))).status, 413);
  const zipped = gzip(new Uint8Array(4096)); // small on the wire, 4 KiB inflated
  const bomb = await rx.handle(
    post(zipped as BodyInit, "application/x-protobuf", { "content-encoding": "gzip" }),
  );
  assertEquals(bomb.status, 413);
  assertStringIncludes(status(await bomb.bytes()).message, "decompressed request body");
  const corrupt = await rx.handle(
    post(new Uint8Array([0x1f, 0x8b, 1, 2]), "application/x-protobuf", {
      "content-encoding": "gzip",
    }),
  );
  assertEquals(corrupt.status, 400);
  const junk = await rx.handle(post(new Uint8Array([0x0a, 0x09, 0x01])));
  assertEquals(junk.status, 400);
  assertStringIncludes(status(await junk.bytes()).message, "unmarshal message");
  const json = await rx.handle(post("{", "application/json"));
  assertEquals(json.status, 400);
  assertEquals((await json.json()).code, 3);
});

Deno.test("otlp receiver: another layout is refused naming the expected one", async () => {
  const { receiver: rx, sink } = receiver();
  const header = await rx.handle(
    post(encodeExportRequest(request()) as BodyInit, "application/x-protobuf", {
      "OTLP-Profiles-Development-Version": "1.9.0",
    }),
  );
  assertEquals(header.status, 400);
  assertMatch(status(await header.bytes()).message, /1\.9\.0.*v1\.10\.0\/v1\.11\.x/);
  // v1.9.0's Sample: attribute_indices packed at field 3.
  const sample = new ProtoWriter().int32(1, 1).packedInt(3, [1]).finish();
  const nest = (field: number, bytes: Uint8Array) => new ProtoWriter().bytes(field, bytes).finish();
  const old = await rx.handle(post(nest(1, nest(2, nest(2, nest(2, sample)))) as BodyInit));
  assertEquals(old.status, 400);
  assertStringIncludes(status(await old.bytes()).message, "v1.9.0 layout");
  assertEquals(sink.requests.length, 0);
});

Deno.test("otlp receiver: 404 for other signals, 405, 415 for other types and encodings", async () => {
  const { receiver: rx } = receiver();
  const traces = await rx.handle(
    post(new Uint8Array(0) as BodyInit, "application/x-protobuf", {}, "/v1/traces"),
  );
  assertEquals(traces.status, 404);
  const get = await rx.handle(new Request("http://127.0.0.1/v1development/profiles"));
  assertEquals(get.status, 405);
  assertEquals(get.headers.get("allow"), "POST");
  const type = await rx.handle(post("x", "text/plain"));
  assertEquals(type.status, 415);
  assertEquals(type.headers.get("accept-post"), "application/x-protobuf, application/json");
  const zstd = await rx.handle(post("x", "application/json", { "content-encoding": "zstd" }));
  assertEquals(zstd.status, 415);
  assertStringIncludes((await zstd.json()).message, "supported are gzip, identity");
});

Deno.test("otlp receiver: the tenant header becomes __tenant_id__; required tenant → 401", async () => {
  const { receiver: rx, sink } = receiver();
  await rx.handle(post(encodeExportRequest(request()) as BodyInit, "application/x-protobuf", {
    "X-Scope-OrgID": "team-a",
  }));
  assertEquals(sink.requests[0]![0]!.labels.get("__tenant_id__"), "team-a");
  const strict = receiver({ tenant: { required: true } }).receiver;
  const refused = await strict.handle(post(encodeExportRequest(request()) as BodyInit));
  assertEquals(refused.status, 401);
});

Deno.test("otlp receiver config: Collector shape, defaults, gRPC refused with what to use", () => {
  const defaults = otlpReceiverConfigSchema.parse({});
  assertEquals(defaults.protocols.http.endpoint, "127.0.0.1:4318");
  assertEquals(defaults.protocols.http.max_request_body_size, 20 * 1024 * 1024);
  const nullHttp = otlpReceiverConfigSchema.parse({ protocols: { http: null } });
  assertEquals(nullHttp.protocols.http.profiles_url_path, "/v1development/profiles");
  const grpc = otlpReceiverConfigSchema.safeParse({
    protocols: { grpc: { endpoint: "0.0.0.0:4317" } },
  });
  assert(!grpc.success);
  assertStringIncludes(grpc.error.issues[0]!.message, "otlphttp exporter");
  assert(
    !otlpReceiverConfigSchema.safeParse({ protocols: { http: { endpoint: "4318" } } }).success,
  );
});

Deno.test("otlp receiver: serves on a socket", async () => {
  const { receiver: rx, sink } = receiver({ protocols: { http: { endpoint: "127.0.0.1:0" } } });
  await rx.start();
  try {
    const response = await fetch(`${rx.url}/v1development/profiles`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: encodeExportRequest(request()) as BodyInit,
    });
    assertEquals(response.status, 200);
    await response.body?.cancel();
    assertEquals(sink.requests.length, 1);
  } finally {
    await rx.shutdown();
  }
});

Deno.test("otlp receiver: more profiles than max_series_per_request is 413 with nothing consumed", async () => {
  let profiles = 0;
  for (const rp of request().resourceProfiles) {
    for (const sp of rp.scopeProfiles) profiles += sp.profiles.length;
  }
  const { receiver: tight, sink } = receiver({ max_series_per_request: profiles - 1 });
  const response = await tight.handle(post(encodeExportRequest(request()) as BodyInit));
  assertEquals(response.status, 413);
  assertEquals(status(new Uint8Array(await response.arrayBuffer())).code, 3);
  assertEquals(sink.requests.length, 0);
  const { receiver: roomy, sink: roomySink } = receiver({ max_series_per_request: profiles });
  assertEquals((await roomy.handle(post(encodeExportRequest(request()) as BodyInit))).status, 200);
  assertEquals(roomySink.requests.length, 1);
});
