/**
 * One Push of 200,000 tiny series into `pyroscope.write` (room for all of them) listed before
 * `file` (room for far fewer): the request is refused whole, at both, with a refusal status
 * (never a 500 half-way through), so nothing of it stays queued at the writer and a retry
 * duplicates nothing. Issue 23, reproduction 4.
 */

import { LabelSet } from "../core/labels.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { profileBytes } from "./support/profiles.ts";
import { startSink } from "./support/strict_sink.ts";
import { startInProcess } from "./support/in_process.ts";

const SERIES = 200_000;

/** The sum of a metric's samples for one component (0 when it has none). */
function metric(registry: MetricsRegistry, name: string, componentId: string): number {
  let total = 0;
  for (const line of registry.render().split("\n")) {
    if (!line.startsWith(`${name}{`) || !line.includes(`component_id="${componentId}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

Deno.test("large request: 200,000 series are refused whole at pyroscope.write and file, never half-queued", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  sink.failAlways({ kind: "status", status: 503 }); // whatever is queued stays queued
  const directory = await Deno.makeTempDir();
  const text = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    max_request_body_size: 64MiB
    max_series_per_request: 0 # no receiver limit: this is about the exporters' admission
exporters:
  pyroscope.write/w:
    endpoint: [{ url: "${sink.url}", min_backoff_period: 1h, max_backoff_period: 1h }]
    queue: { max_items: 1000000, max_bytes: 1GiB, senders: 1, drain_timeout: 0s }
  file/f:
    directory: ${JSON.stringify(directory)}
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in]
      exporters: [pyroscope.write/w, file/f]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  const metrics = new MetricsRegistry();
  const { collector, url } = await startInProcess(text, { metrics });
  try {
    const rawProfile = profileBytes(0);
    const series = Array.from({ length: SERIES }, (_, i) => ({
      labels: LabelSet.from({ __name__: "process_cpu", service_name: "s", i: String(i) }),
      samples: [{ rawProfile }],
    }));
    const response = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: encodePushRequest(series) as BodyInit,
    });
    const body = await response.text();
    assertEquals(response.status, 413, `a refusal, not an internal error: ${body}`);
    assert(body.includes("file/f"), `the refusal names the exporter that cannot take it: ${body}`);
    assertEquals(metric(metrics, "profcol_exporter_queue_profiles", "pyroscope.write/w"), 0);
    assertEquals(metric(metrics, "profcol_file_exporter_queue_items", "file/f"), 0);
    assertEquals(
      metric(metrics, "profcol_exporter_refused_profiles_total", "file/f"),
      SERIES,
      "counted once, as refused by file/f",
    );
  } finally {
    await collector.shutdown();
    await sink.close();
    await Deno.remove(directory, { recursive: true });
  }
});
