/**
 * Request-atomic admission over real sockets: `pyroscope.receive_http` feeds two
 * `pyroscope.write` exporters (each delivering to its own strict sink), one with a small queue.
 * A request that does not fit the small queue gets 429 and none of its series reaches either
 * sink; one that fits is delivered whole to both, exactly once. Checked for Connect Push
 * (proto and JSON) and multipart `/ingest`, then over random queue sizes and request shapes.
 */

import { LabelSet } from "../core/labels.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { multipartBody } from "../receivers/pyroscope_receive_http/test_helpers.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { profileBytes } from "./support/profiles.ts";
import { type Sink, startSink } from "./support/strict_sink.ts";
import { startInProcess } from "./support/in_process.ts";

/** A collector in process: receive_http → pyroscope.write/tight and pyroscope.write/roomy. */
async function gateway(tight: Sink, roomy: Sink, tightItems: number) {
  const endpoint = (sink: Sink) =>
    `[{ url: "${sink.url}", min_backoff_period: 20ms, max_backoff_period: 20ms, max_backoff_retries: 0 }]`;
  const text = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    retry_after: 2s
exporters:
  pyroscope.write/tight:
    endpoint: ${endpoint(tight)}
    queue: { max_items: ${tightItems}, senders: 1, drain_timeout: 5s }
  pyroscope.write/roomy:
    endpoint: ${endpoint(roomy)}
    queue: { max_items: 1000, senders: 1, drain_timeout: 5s }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in]
      exporters: [pyroscope.write/tight, pyroscope.write/roomy]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  return await startInProcess(text);
}

/** Both sinks refuse with a retryable status, so accepted items stay queued. */
function hold(...sinks: Sink[]): void {
  for (const sink of sinks) sink.failAlways({ kind: "status", status: 503 });
}

function heal(...sinks: Sink[]): void {
  for (const sink of sinks) sink.failAlways(undefined);
}

/** The `id` label of every push series and ingest upload a sink accepted, sorted. */
function arrived(sink: Sink): string[] {
  const ids = sink.pushes.map((p) => p.labels.id!);
  for (const ingest of sink.ingests) ids.push(/id=([^,}]+)/.exec(ingest.name)![1]!);
  return ids.sort();
}

type Shape = "proto" | "json" | "ingest";

/** Sends one request of `ids.length` series (one upload for ingest); returns the status. */
async function send(url: string, shape: Shape, ids: readonly string[]): Promise<number> {
  let response: Response;
  if (shape === "ingest") {
    const { body, contentType } = multipartBody([
      { name: "profile", filename: "profile.pprof", data: profileBytes(ids.length) },
    ]);
    const name = encodeURIComponent(`app{id=${ids[0]}}`);
    response = await fetch(`${url}/ingest?name=${name}&format=pprof&spyName=gospy`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: body as BodyInit,
    });
  } else {
    const series = ids.map((id, i) => ({
      labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc", id }),
      samples: [{ rawProfile: profileBytes(i) }],
    }));
    const proto = encodePushRequest(series);
    const json = JSON.stringify({
      series: series.map((s) => ({
        labels: [...s.labels].map(([name, value]) => ({ name, value })),
        samples: s.samples.map((x) => ({ rawProfile: btoa(String.fromCharCode(...x.rawProfile)) })),
      })),
    });
    response = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": shape === "proto" ? "application/proto" : "application/json" },
      body: shape === "proto" ? proto as BodyInit : json,
    });
  }
  await response.body?.cancel();
  return response.status;
}

/** Waits until both sinks hold `n` items each. */
async function delivered(n: number, ...sinks: Sink[]): Promise<void> {
  await Promise.all(sinks.map((sink) => sink.waitFor(n, 10_000)));
  // A little longer: anything more (a duplicate) would arrive now.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

for (const shape of ["proto", "json", "ingest"] as const) {
  Deno.test(`admission (${shape}): a request that only one exporter has room for is refused whole`, async () => {
    const tight = await startSink({ validateTimeWindow: false });
    const roomy = await startSink({ validateTimeWindow: false });
    hold(tight, roomy);
    // Ingest uploads are one item each: a queue of 1 fits A, not B.
    const { collector, url } = await gateway(tight, roomy, shape === "ingest" ? 1 : 3);
    try {
      const a = shape === "ingest" ? ["a0"] : ["a0", "a1"];
      const b = shape === "ingest" ? ["b0"] : ["b0", "b1"];
      assertEquals(await send(url, shape, a), 200);
      assertEquals(await send(url, shape, b), 429);
      heal(tight, roomy);
      await delivered(a.length, tight, roomy);
      assertEquals([arrived(tight), arrived(roomy)], [a, a]);
      // Room again: the retry of B is accepted and delivered once.
      assertEquals(await send(url, shape, b), 200);
      await delivered(a.length + b.length, tight, roomy);
      assertEquals([arrived(tight), arrived(roomy)], [[...a, ...b], [...a, ...b]]);
    } finally {
      await collector.shutdown();
      await tight.close();
      await roomy.close();
    }
  });
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("admission: over random queue sizes and request shapes, 200 ⇒ delivered once, 429 ⇒ none", async () => {
  const seed = Number(Deno.env.get("PROFCOL_ADMISSION_SEED") ?? Date.now() % 100_000);
  const next = random(seed);
  const tight = await startSink({ validateTimeWindow: false });
  const roomy = await startSink({ validateTimeWindow: false });
  for (let round = 0; round < 4; round++) {
    const tightItems = 1 + Math.floor(next() * 6);
    hold(tight, roomy);
    tight.pushes.length = roomy.pushes.length = 0;
    tight.ingests.length = roomy.ingests.length = 0;
    const { collector, url } = await gateway(tight, roomy, tightItems);
    const accepted: string[] = [];
    const statuses: Record<string, number[]> = {};
    try {
      const requests = 3 + Math.floor(next() * 6);
      // Sent concurrently, so reservations race each other as in production.
      await Promise.all(Array.from({ length: requests }, async (_, r) => {
        const shape = (["proto", "json", "ingest"] as const)[Math.floor(next() * 3)]!;
        const size = shape === "ingest" ? 1 : 1 + Math.floor(next() * 4);
        const ids = Array.from({ length: size }, (_, s) => `r${round}q${r}s${s}`);
        const status = await send(url, shape, ids);
        (statuses[status] ??= []).push(r);
        if (status === 200) accepted.push(...ids);
        else assert(status === 429 || status === 413, `seed ${seed}: status ${status}`);
      }));
      heal(tight, roomy);
      await delivered(accepted.length, tight, roomy);
      const expected = accepted.sort();
      const message = `seed ${seed}, round ${round}, max_items ${tightItems}, ${
        JSON.stringify(statuses)
      }`;
      assertEquals(arrived(tight), expected, message);
      assertEquals(arrived(roomy), expected, message);
    } finally {
      await collector.shutdown();
    }
  }
  await tight.close();
  await roomy.close();
});
