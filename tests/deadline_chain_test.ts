/**
 * Deadlines across hops (issue 28, grafana/alloy#4289): a chain of three in-process collectors
 * A → B → C → a strict sink, each with `propagate_deadline`. Recording relays between the hops
 * show the `Connect-Timeout-Ms` each one receives: the client's deadline, shrinking hop by hop,
 * never the 10 s `remote_timeout` each writer would give on its own. When the sink stalls past
 * the deadline, the last writer's one request ends by the deadline and no retry is started
 * after it: the profile is dropped and counted with reason `deadline_exceeded`.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { startInProcess, until } from "./support/in_process.ts";
import { metricValue } from "./support/metrics.ts";
import { startSink } from "./support/strict_sink.ts";
import { LabelSet } from "../core/labels.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";

const PUSH = "/push.v1.PusherService/Push";
const profile = Deno.readFileSync(new URL("../pprof/testdata/allocs.pb.gz", import.meta.url));

/** Forwards every request to `target`, recording the `Connect-Timeout-Ms` it carried. */
function recordingRelay(target: string) {
  const seen: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push(Number(req.headers.get("connect-timeout-ms")));
    const url = new URL(req.url);
    return await fetch(`${target}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: await req.arrayBuffer(),
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

function collectorConfig(next: string): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    propagate_deadline: true
exporters:
  pyroscope.write/out:
    endpoint:
      - { url: "${next}", min_backoff_period: 300ms, max_backoff_period: 300ms }
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
}

/** Starts sink ← C ← B ← A with a relay in front of B, C and the sink. */
async function chain() {
  const sink = await startSink({ validateTimeWindow: false });
  const toSink = recordingRelay(sink.url);
  const metricsC = new MetricsRegistry();
  const c = await startInProcess(collectorConfig(toSink.url), { metrics: metricsC });
  const toC = recordingRelay(c.url);
  const b = await startInProcess(collectorConfig(toC.url));
  const toB = recordingRelay(b.url);
  const a = await startInProcess(collectorConfig(toB.url));
  return {
    sink,
    a,
    seen: { b: toB.seen, c: toC.seen, sink: toSink.seen },
    dropped: (reason: string) =>
      metricValue(metricsC.render(), "profcol_exporter_dropped_profiles_total", { reason }) ?? 0,
    async [Symbol.asyncDispose]() {
      for (const collector of [a, b, c]) await collector.collector.shutdown(2_000);
      for (const relay of [toB, toC, toSink]) await relay.close();
      await sink.close();
    },
  };
}

function push(url: string, timeoutMs: number): Promise<Response> {
  const body = encodePushRequest([{
    labels: LabelSet.from({ __name__: "memory", service_name: "api" }),
    samples: [{ rawProfile: profile }],
  }]);
  return fetch(`${url}${PUSH}`, {
    method: "POST",
    headers: { "content-type": "application/proto", "connect-timeout-ms": String(timeoutMs) },
    body: body as BodyInit,
  });
}

Deno.test("deadline chain: each hop is told what is left of the client's deadline, less at every hop", async () => {
  await using running = await chain();
  const response = await push(running.a.url, 3_000);
  assertEquals(response.status, 200, await response.text());
  await running.sink.waitFor(1, 5_000);
  const { b, c, sink } = running.seen;
  assertEquals([b.length, c.length, sink.length], [1, 1, 1], "one request per hop");
  assert(b[0]! > 0 && b[0]! <= 3_000, `B is told at most the client's 3000 ms, got ${b[0]}`);
  assert(c[0]! > 0 && c[0]! <= b[0]!, `C is told at most what B was (${b[0]}), got ${c[0]}`);
  assert(sink[0]! > 0 && sink[0]! <= c[0]!, `the sink at most what C was, got ${sink[0]}`);
  assertEquals(running.sink.pushes.length, 1, "delivered once");
});

Deno.test("deadline chain: a profile that cannot make it is not retried past its deadline", async () => {
  await using running = await chain();
  running.sink.failAlways({ kind: "stall", ms: 3_000 });
  const timeoutMs = 1_000;
  const deadline = Date.now() + timeoutMs;
  const response = await push(running.a.url, timeoutMs);
  assertEquals(response.status, 200, "A queues it and answers at once");
  await until(() => running.dropped("deadline_exceeded") === 1, 5_000);
  const requests = running.sink.requests;
  // Backoff is 300 ms: without the deadline C would retry the stalled sink after its timeout.
  assertEquals(requests.length, 1, "one attempt at the sink, no retry after the deadline");
  assert(requests[0]!.receivedAt < deadline, "the one attempt started before the deadline");
  assert(running.seen.sink[0]! <= timeoutMs, `told ${running.seen.sink[0]} ms, at most 1000`);
  // One more backoff period: still nothing retried.
  await new Promise((resolve) => setTimeout(resolve, 400));
  assertEquals(running.sink.requests.length, 1);
  assertEquals(running.dropped("retries_exhausted"), 0);
});

Deno.test("deadline chain: a request whose body is too slow is answered 504 before its deadline", async () => {
  await using running = await chain();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      await released;
      controller.close();
    },
  });
  const timeoutMs = 500;
  const started = Date.now();
  const response = await fetch(`${running.a.url}${PUSH}`, {
    method: "POST",
    headers: { "content-type": "application/proto", "connect-timeout-ms": String(timeoutMs) },
    body,
  });
  const elapsed = Date.now() - started;
  release();
  assertEquals(response.status, 504);
  assertEquals((await response.json()).code, "deadline_exceeded");
  assert(elapsed < timeoutMs, `answered after ${elapsed} ms, past the ${timeoutMs} ms deadline`);
  assertEquals(running.seen.b.length, 0, "nothing was forwarded");
});
