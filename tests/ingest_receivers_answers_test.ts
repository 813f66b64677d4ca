/**
 * Issue 25, item 2: both HTTP ingest receivers stand on one core, so the same fault gets the
 * same status, the same `Retry-After` and the same refusal reason in `pyroscope.receive_http`
 * (Push) and `otlp`, whatever their error body format (Connect JSON, `google.rpc.Status`).
 */

import { assertEquals } from "./support/assert.ts";
import { BackpressureError, InvalidItemError, TooLargeError } from "../core/admission.ts";
import { LabelSet } from "../core/labels.ts";
import { testSettings } from "../core/testing/conformance.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { pprofToOtlp } from "../otlp/otlp_pprof.ts";
import { encodeExportRequest } from "../otlp/otlp_profiles.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { decodeProfile } from "../pprof/profile.ts";
import { gunzipIfNeeded, gzip } from "../pprof/gzip.ts";
import { OtlpReceiver, otlpReceiverConfigSchema } from "../receivers/otlp/mod.ts";
import { receiveHttpConfigSchema } from "../receivers/pyroscope_receive_http/config.ts";
import { ReceiveHttpReceiver } from "../receivers/pyroscope_receive_http/receive_http.ts";
import { ScriptedConsumer } from "../receivers/pyroscope_receive_http/test_helpers.ts";

const cpu = Deno.readFileSync(new URL("../pprof/testdata/cpu.pb.gz", import.meta.url));
const cpuProfile = decodeProfile(gunzipIfNeeded(cpu, 1 << 28));
const seriesLabels = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => LabelSet.from({ __name__: "process_cpu", service_name: "same", i: String(i) }),
  );
const pushBody = (n: number) =>
  encodePushRequest(seriesLabels(n).map((labels) => ({ labels, samples: [{ rawProfile: cpu }] })));
const otlpBody = (n: number) =>
  encodeExportRequest(
    pprofToOtlp(seriesLabels(n).map((labels) => ({ labels, profiles: [cpuProfile] }))),
  );

interface Receiver {
  readonly name: string;
  readonly path: string;
  readonly contentType: string;
  /** A valid request body with `n` series. */
  body(n: number): Uint8Array;
  readonly prefix: string;
  handle(request: Request): Promise<Response>;
  readonly consumer: ScriptedConsumer;
  readonly metrics: MetricsRegistry;
}

function receivers(): Receiver[] {
  const limits = { max_request_body_size: "1MiB", max_series_per_request: 10, retry_after: "3s" };
  const pushConsumer = new ScriptedConsumer();
  const pushMetrics = new MetricsRegistry();
  const push = new ReceiveHttpReceiver(
    testSettings("receiver/push", { metrics: pushMetrics }),
    receiveHttpConfigSchema.parse({ ...limits }),
    pushConsumer,
  );
  const otlpConsumer = new ScriptedConsumer();
  const otlpMetrics = new MetricsRegistry();
  const { max_request_body_size, ...otlpLimits } = limits;
  const otlp = new OtlpReceiver(
    testSettings("receiver/otlp", { metrics: otlpMetrics }),
    otlpReceiverConfigSchema.parse({
      ...otlpLimits,
      protocols: { http: { max_request_body_size } },
    }),
    otlpConsumer,
  );
  return [
    {
      name: "pyroscope.receive_http",
      path: "/push.v1.PusherService/Push",
      contentType: "application/proto",
      body: pushBody,
      prefix: "profcol_receive_http",
      handle: (request) => push.handle(request),
      consumer: pushConsumer,
      metrics: pushMetrics,
    },
    {
      name: "otlp",
      path: "/v1development/profiles",
      contentType: "application/x-protobuf",
      body: otlpBody,
      prefix: "profcol_otlp_receiver",
      handle: (request) => otlp.handle(request),
      consumer: otlpConsumer,
      metrics: otlpMetrics,
    },
  ];
}

/** One fault: how to send it, and what the consumer does. */
interface Fault {
  readonly what: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: (receiver: Receiver) => Uint8Array;
  readonly path?: string;
  readonly consumer?: () => Error;
}

const FAULTS: readonly Fault[] = [
  { what: "accepted" },
  { what: "bad Content-Encoding", headers: { "content-encoding": "br" } },
  { what: "corrupt gzip", headers: { "content-encoding": "gzip" } },
  {
    what: "gzip over the body limit",
    headers: { "content-encoding": "gzip" },
    body: () => gzip(new Uint8Array(2 << 20)),
  },
  { what: "body over the limit", body: () => new Uint8Array((1 << 20) + 1) },
  { what: "more series than the limit", body: (receiver) => receiver.body(11) },
  { what: "queue full", consumer: () => new BackpressureError("queue is full", 2) },
  { what: "never fits", consumer: () => new TooLargeError("larger than the queue") },
  { what: "invalid item", consumer: () => new InvalidItemError("bad label", "invalid_labels") },
  { what: "another method", method: "PUT" },
  { what: "another path", path: "/nowhere" },
];

/** What a receiver answered to one fault, and the refusal reasons it counted. */
interface Answer {
  readonly what: string;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly reasons: readonly string[];
}

/** Status, Retry-After and the refusal reason counted, per fault. */
async function answers(receiver: Receiver): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const fault of FAULTS) {
    receiver.consumer.fail = fault.consumer;
    const before = receiver.metrics.render();
    const response = await receiver.handle(
      new Request(`http://127.0.0.1${fault.path ?? receiver.path}`, {
        method: fault.method ?? "POST",
        headers: { "content-type": receiver.contentType, ...fault.headers },
        body: (fault.body?.(receiver) ?? receiver.body(1)) as BodyInit,
      }),
    );
    await response.body?.cancel();
    const reasons = refusedReasons(receiver, before);
    out.push({
      what: fault.what,
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      reasons,
    });
  }
  return out;
}

/** The reasons whose refusal counter rose since `before`. */
function refusedReasons(receiver: Receiver, before: string): string[] {
  const name = `${receiver.prefix}_refused_requests_total`;
  const counts = (text: string) => {
    const out = new Map<string, number>();
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name}{`)) continue;
      const reason = /reason="([^"]*)"/.exec(line)![1]!;
      out.set(reason, Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
    return out;
  };
  const old = counts(before);
  const reasons: string[] = [];
  for (const [reason, count] of counts(receiver.metrics.render())) {
    if (count > (old.get(reason) ?? 0)) reasons.push(reason);
  }
  return reasons;
}

Deno.test("ingest receivers: the same fault gets the same status, Retry-After and reason", async () => {
  const [push, otlp] = receivers() as [Receiver, Receiver];
  const fromPush = await answers(push);
  assertEquals(await answers(otlp), fromPush);
  assertEquals(fromPush, [
    { what: "accepted", status: 200, retryAfter: null, reasons: [] },
    {
      what: "bad Content-Encoding",
      status: 415,
      retryAfter: null,
      reasons: ["unsupported_encoding"],
    },
    { what: "corrupt gzip", status: 400, retryAfter: null, reasons: ["bad_encoding"] },
    {
      what: "gzip over the body limit",
      status: 413,
      retryAfter: null,
      reasons: ["body_too_large"],
    },
    { what: "body over the limit", status: 413, retryAfter: null, reasons: ["body_too_large"] },
    {
      what: "more series than the limit",
      status: 413,
      retryAfter: null,
      reasons: ["too_many_series"],
    },
    { what: "queue full", status: 429, retryAfter: "2", reasons: ["queue_full"] },
    { what: "never fits", status: 413, retryAfter: null, reasons: ["too_large"] },
    { what: "invalid item", status: 400, retryAfter: null, reasons: ["invalid_labels"] },
    { what: "another method", status: 405, retryAfter: null, reasons: ["method_not_allowed"] },
    { what: "another path", status: 404, retryAfter: null, reasons: ["not_found"] },
  ]);
});
