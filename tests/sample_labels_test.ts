/**
 * The `sample_labels` README's full example in a running collector, over real sockets: a
 * Connect Push, an `/ingest?format=pprof` upload and a multipart upload of a profile labelled with `span_id`,
 * `trace_id`, `endpoint` and `thread-name` reach a strict Pyroscope stand-in with those labels
 * dropped, renamed and sanitized, the samples merged and the totals unchanged.
 */

import { assertEquals } from "./support/assert.ts";
import { startSink } from "./support/strict_sink.ts";
import { builtinFactories } from "../components.ts";
import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { LabelSet } from "../core/labels.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { gunzipIfNeeded, gzip } from "../pprof/gzip.ts";
import { decodeProfile, type Profile } from "../pprof/profile.ts";
import { tracedProfile } from "../processors/sample_labels/testdata/traced_profile.ts";

const README = Deno.readTextFileSync(
  new URL("../processors/sample_labels/README.md", import.meta.url),
);
const FULL_EXAMPLE = /```yaml\n([\s\S]*?)```/.exec(
  README.slice(README.indexOf("## Full example")),
)![1]!;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Sorted label names of each sample, and the sum of each sample type's values. */
function summary(p: Profile): { names: string[][]; totals: number[] } {
  const totals = p.sampleType.map(() => 0);
  for (const s of p.sample) s.value.forEach((v, i) => totals[i]! += v);
  const names = p.sample.map((s) => s.label.map((l) => p.stringTable[l.key]!).sort());
  return { names, totals };
}

Deno.test("sample_labels: the README's full example rewrites pushed and ingested profiles end to end", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const port = freePort();
  const files: Record<string, string> = {
    "sample_labels.yaml": FULL_EXAMPLE.replace("http://pyroscope:4040", sink.url),
    "overlay.yaml": `receivers:
  pyroscope.receive_http:
    http: { listen_address: 127.0.0.1, listen_port: ${port} }
service: { telemetry: { http: { listen_port: 0 }, logs: { level: error } } }
`,
  };
  const collector = new Collector({
    configFiles: Object.keys(files),
    registry: new Registry(builtinFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: (path) => files[path]!, env: () => undefined },
  });
  await collector.start();
  try {
    const profile = tracedProfile({ stacks: 4, spans: 16, samples: 32 });
    const push = await fetch(`http://127.0.0.1:${port}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: encodePushRequest([{
        labels: LabelSet.from({ __name__: "process_cpu", service_name: "shop" }),
        samples: [{ rawProfile: gzip(profile) }],
      }]) as BodyInit,
    });
    assertEquals(push.status, 200, await push.text());
    const ingest = await fetch(
      `http://127.0.0.1:${port}/ingest?name=shop.cpu&format=pprof&spyName=gospy`,
      { method: "POST", body: profile as BodyInit },
    );
    assertEquals(ingest.status, 200, await ingest.text());
    // The Go SDK's upload: a multipart form whose `profile` part is the pprof.
    const form = new FormData();
    form.append("profile", new File([gzip(profile) as BlobPart], "profile.pprof"));
    const multipart = await fetch(
      `http://127.0.0.1:${port}/ingest?name=shop.cpu&spyName=gospy`,
      { method: "POST", body: form },
    );
    assertEquals(multipart.status, 200, await multipart.text());
    await sink.waitFor(3);

    const expected = {
      // Stack i%4 fixes the endpoint and the thread: one sample per stack is left.
      names: Array.from({ length: 4 }, () => ["bytes", "http.route", "thread_name"]),
      totals: [32, 320_000_000],
    };
    const pushed = decodeProfile(gunzipIfNeeded(sink.pushes[0]!.rawProfile, 1 << 26));
    assertEquals(summary(pushed), expected);
    assertEquals(sink.pushes[0]!.labels.service_name, "shop");
    const ingested = decodeProfile(gunzipIfNeeded(sink.ingests[0]!.body, 1 << 26));
    assertEquals(summary(ingested), expected);
    const upload = sink.ingests[1]!;
    const parts = await new Response(upload.body as BodyInit, {
      headers: { "content-type": upload.contentType[0]! },
    }).formData();
    const part = new Uint8Array(await (parts.get("profile") as File).arrayBuffer());
    assertEquals(summary(decodeProfile(gunzipIfNeeded(part, 1 << 26))), expected);
  } finally {
    await collector.shutdown();
    await sink.close();
  }
});
