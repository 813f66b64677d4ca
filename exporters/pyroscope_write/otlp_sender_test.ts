import { admit } from "../../core/admission.ts";
import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { canonicalProfile } from "../../tests/support/pprof_canonical.ts";
import type { IngestItem, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { createForTest, testSettings } from "../../core/testing/conformance.ts";
import { otlpToPprof } from "../../otlp/otlp_pprof.ts";
import { decodeExportRequest, encodeStatus } from "../../otlp/otlp_profiles.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";
import { decodeProfile } from "../../pprof/profile.ts";
import { pyroscopeWriteExporterFactory } from "./mod.ts";
import { classifyOtlpResponse } from "./otlp_sender.ts";
import type { PyroscopeWriteExporter } from "./pyroscope_write.ts";

const HEAP_BYTES = Deno.readFileSync(new URL("../../pprof/testdata/heap.pb.gz", import.meta.url));
const CPU_BYTES = Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url));
const heap = decodeProfile(gunzipIfNeeded(HEAP_BYTES, 1 << 28));
const cpu = decodeProfile(gunzipIfNeeded(CPU_BYTES, 1 << 28));

interface Seen {
  path: string;
  headers: Headers;
  body: Uint8Array;
}

function server(answer?: (index: number) => Response) {
  const seen: Seen[] = [];
  const srv = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({
      path: new URL(req.url).pathname,
      headers: req.headers,
      body: new Uint8Array(await req.arrayBuffer()),
    });
    if (answer) return answer(seen.length - 1);
    return new Response(new Uint8Array(0), {
      headers: { "content-type": "application/x-protobuf" },
    });
  });
  return { seen, url: `http://127.0.0.1:${srv.addr.port}`, close: () => srv.shutdown() };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settings = testSettings("pyroscope.write/otlp");

function exporter(endpoint: Record<string, unknown>) {
  return createForTest(
    pyroscopeWriteExporterFactory,
    { endpoint: [{ protocol: "otlp", min_backoff_period: "10ms", ...endpoint }] },
    settings,
  ) as PyroscopeWriteExporter;
}

const push = (labels: Record<string, string>, bytes: Uint8Array): PushItem => ({
  kind: "push",
  labels: LabelSet.from(labels),
  samples: [{ rawProfile: bytes }],
});

Deno.test("pyroscope.write protocol otlp: push items go to /v1development/profiles as OTLP", async () => {
  const srv = server();
  const exp = exporter({ url: srv.url });
  await exp.start();
  try {
    await admit(exp, [
      push({ __name__: "memory", service_name: "api", __tenant_id__: "t1" }, HEAP_BYTES),
    ]);
    await until(() => srv.seen.length === 1);
    const seen = srv.seen[0]!;
    assertEquals(seen.path, "/v1development/profiles");
    assertEquals(seen.headers.get("content-type"), "application/x-protobuf");
    assertEquals(seen.headers.get("x-scope-orgid"), "t1");
    const back = otlpToPprof(decodeExportRequest(seen.body));
    assertEquals(back.profiles.length, 1);
    assertEquals(LabelSet.from(back.profiles[0]!.labels).toRecord(), {
      __name__: "memory",
      service_name: "api",
    });
    assertEquals(canonicalProfile(back.profiles[0]!.profile), canonicalProfile(heap));
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("pyroscope.write protocol otlp: ingest items still use /ingest", async () => {
  const srv = server(() => new Response(null, { status: 200 }));
  const exp = exporter({ url: srv.url });
  await exp.start();
  try {
    const ingest: IngestItem = {
      kind: "ingest",
      labels: LabelSet.from({ __name__: "app" }),
      body: new TextEncoder().encode("foo;bar 1\n"),
      contentType: ["text/plain"],
      query: [["format", "folded"]],
    };
    await admit(exp, [ingest]);
    await until(() => srv.seen.length === 1);
    assertEquals(srv.seen[0]!.path, "/ingest");
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("pyroscope.write protocol otlp: 503 is retried, then delivered once", async () => {
  const srv = server((i) =>
    i === 0
      ? new Response(encodeStatus(14, "busy") as BodyInit, {
        status: 503,
        headers: { "content-type": "application/x-protobuf", "retry-after": "0" },
      })
      : new Response(null, { status: 200, headers: { "content-type": "application/x-protobuf" } })
  );
  const exp = exporter({ url: srv.url });
  await exp.start();
  try {
    await admit(exp, [push({ __name__: "process_cpu", service_name: "a" }, CPU_BYTES)]);
    await until(() => srv.seen.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(srv.seen.length, 2);
    const back = otlpToPprof(decodeExportRequest(srv.seen[1]!.body));
    assertEquals(canonicalProfile(back.profiles[0]!.profile), canonicalProfile(cpu));
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("pyroscope.write protocol otlp: OTLP/HTTP answers classified as the spec says", () => {
  assertEquals(classifyOtlpResponse(200, "", null, true).kind, "ok");
  for (const status of [429, 502, 503, 504]) {
    assertEquals(classifyOtlpResponse(status, "x", "2", true).kind, "retry", String(status));
  }
  assertEquals(classifyOtlpResponse(429, "x", null, false).kind, "drop");
  const bad = classifyOtlpResponse(400, "sample_type is missing", null, true);
  assert(bad.kind === "drop" && bad.splittable);
  assertStringIncludes(bad.message, "HTTP 400: sample_type is missing");
  const other = classifyOtlpResponse(404, "no route", null, true);
  assert(other.kind === "drop" && !other.splittable);
  assertEquals(classifyOtlpResponse(500, "boom", null, true).kind, "drop");
});

Deno.test("pyroscope.write protocol otlp: a profile that is not pprof is dropped alone", async () => {
  const srv = server();
  const exp = exporter({ url: srv.url });
  await exp.start();
  try {
    await admit(exp, [
      push({ __name__: "process_cpu", service_name: "bad" }, new Uint8Array([0x1f, 0x8b, 1])),
      push({ __name__: "process_cpu", service_name: "good" }, CPU_BYTES),
    ]);
    await until(() => srv.seen.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(srv.seen.length, 1);
    const back = otlpToPprof(decodeExportRequest(srv.seen[0]!.body));
    assertEquals(back.profiles.map((one) => LabelSet.from(one.labels).get("service_name")), [
      "good",
    ]);
    const dropped = settings.metrics.render().split("\n").find((line) =>
      line.startsWith("profcol_exporter_dropped_profiles_total") &&
      line.includes('reason="invalid_profile"')
    );
    assert(dropped?.endsWith(" 1"), `one profile dropped as invalid_profile: ${dropped}`);
  } finally {
    await exp.shutdown();
    await srv.close();
  }
});

Deno.test("pyroscope.write config: protocol defaults to connect, refuses others", () => {
  const schema = pyroscopeWriteExporterFactory.configSchema;
  assertEquals(schema.parse({ endpoint: [{ url: "http://p" }] }).endpoint[0]!.protocol, "connect");
  assertEquals(
    schema.parse({ endpoint: [{ url: "http://p", protocol: "otlp" }] }).endpoint[0]!.protocol,
    "otlp",
  );
  const wrong = schema.safeParse({ endpoint: [{ url: "http://p", protocol: "grpc" }] });
  assert(!wrong.success);
  assertStringIncludes(wrong.error.issues[0]!.message, "protocol must be connect or otlp");
});
