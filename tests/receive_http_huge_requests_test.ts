/**
 * Issue 23, reproduction 4 (receiver side): a request is atomic under every size. Push
 * (protobuf and Connect JSON) with up to 500,000 tiny series (the body limit raised to 64 MiB so
 * that the series count is what is judged), and `/ingest` bodies around the body limit, sent to a real collector with `pyroscope.write` (a large queue) listed before a
 * `file` exporter: every answer is either 200 with every series delivered exactly once, or 413
 * with nothing reserved at any exporter (no partial queueing a retry would duplicate).
 */

import { assert, assertEquals } from "./support/assert.ts";
import { LabelSet } from "../core/labels.ts";
import { encodePushRequest, type PushSeries } from "../core/wire/push_proto.ts";
import { TOY_PPROF } from "../receivers/pyroscope_receive_http/test_helpers.ts";
import { profileBytes } from "./support/profiles.ts";
import { startSink } from "./support/strict_sink.ts";
import { metric, startCollector, until } from "./reliability/harness.ts";

/** The series counts tried: around the default limit (10,000), and far over it. */
const PROTO_COUNTS = [1, 2_500, 9_999, 10_000, 10_001, 200_000, 500_000];
const JSON_COUNTS = [7_000, 150_000];

function series(count: number, request: number): PushSeries[] {
  // Short labels, and for counts far over the limit the 6-byte minimal pprof, so 500,000
  // series fit in the body limit (the sink would refuse it, but these must never get there).
  const rawProfile = count > 20_000 ? TOY_PPROF : profileBytes(request);
  const out: PushSeries[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      labels: LabelSet.from({
        __name__: "process_cpu",
        service_name: "h",
        r: String(request),
        i: String(i),
      }),
      samples: [{ rawProfile }],
    });
  }
  return out;
}

/** The Connect JSON form of `series` (`rawProfile` in base64). */
function pushJson(list: readonly PushSeries[]): Uint8Array {
  const base64 = btoa(String.fromCharCode(...list[0]!.samples[0]!.rawProfile));
  const parts: string[] = [];
  for (const one of list) {
    const labels = [...one.labels].map(([name, value]) => ({ name, value }));
    parts.push(JSON.stringify({ labels, samples: [{ rawProfile: base64 }] }));
  }
  return new TextEncoder().encode(`{"series":[${parts.join(",")}]}`);
}

Deno.test("huge requests: 200 with everything delivered once, or 413 with nothing reserved", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-huge-" });
  const sink = await startSink({ validateTimeWindow: false });
  const collector = await startCollector(
    dir,
    `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    max_request_body_size: 64MiB
exporters:
  pyroscope.write/out:
    endpoint: [{ url: ${sink.url} }]
    queue: { max_items: 1000000, max_bytes: 1GiB }
  file/disk:
    directory: ${dir}/files
    queue_size: 100000
    queue_bytes: 256MiB
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out, file/disk] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`,
  );
  const enqueued = (id: string) =>
    metric(collector.admin, "profcol_exporter_enqueued_profiles_total", { component_id: id });
  let delivered = 0;
  const outcomes: string[] = [];
  try {
    const cases: { what: string; count: number; send: () => Promise<Response> }[] = [];
    PROTO_COUNTS.forEach((count, request) =>
      cases.push({
        what: `proto ${count}`,
        count,
        send: () =>
          fetch(`${collector.url}/push.v1.PusherService/Push`, {
            method: "POST",
            headers: { "content-type": "application/proto" },
            body: encodePushRequest(series(count, request)) as BodyInit,
          }),
      })
    );
    JSON_COUNTS.forEach((count, i) =>
      cases.push({
        what: `json ${count}`,
        count,
        send: () =>
          fetch(`${collector.url}/push.v1.PusherService/Push`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: pushJson(series(count, 100 + i)) as BodyInit,
          }),
      })
    );
    // /ingest: one upload is one series; its size is what can be huge (folded text here).
    for (const [i, size] of [[0, 100], [1, 3 << 20], [2, 65 << 20]] as const) {
      const line = new TextEncoder().encode("main;work;leaf 1\n");
      const body = new Uint8Array(Math.ceil(size / line.length) * line.length);
      for (let at = 0; at < body.length; at += line.length) body.set(line, at);
      cases.push({
        what: `ingest ${body.length} bytes`,
        count: 1,
        send: () =>
          fetch(`${collector.url}/ingest?name=huge.cpu{request=${200 + i}}`, {
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: body as BodyInit,
          }),
      });
    }
    for (const one of cases) {
      const before = [await enqueued("pyroscope.write/out"), await enqueued("file/disk")];
      const response = await one.send();
      const text = await response.text();
      outcomes.push(`${one.what}: ${response.status}`);
      const after = [await enqueued("pyroscope.write/out"), await enqueued("file/disk")];
      if (response.status === 200) {
        delivered += one.count;
        assertEquals(after, [before[0]! + one.count, before[1]! + one.count], one.what);
        await until(
          () => sink.pushes.length + sink.ingests.length >= delivered,
          60_000,
          `${delivered} series at the sink after ${one.what}`,
        );
      } else {
        assertEquals(response.status, 413, `${one.what}: ${text}`);
        assertEquals(after, before, `${one.what}: nothing reserved at any exporter`);
      }
    }
    // Every series arrived exactly once: no request was queued in part, none twice.
    await new Promise((r) => setTimeout(r, 500));
    const keys = [
      ...sink.pushes.map((p) => `${p.labels.r}/${p.labels.i}`),
      ...sink.ingests.map((p) => `ingest/${p.name}`),
    ];
    assertEquals(keys.length, delivered);
    assertEquals(new Set(keys).size, delivered);
    assert(outcomes.some((o) => o.endsWith(": 413")), outcomes.join(", "));
    assert(outcomes.some((o) => o.endsWith(": 200")), outcomes.join(", "));
    console.log(`huge requests: ${outcomes.join(", ")}`);
  } finally {
    await collector.stop();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
