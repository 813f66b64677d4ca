/**
 * Alloy's metric names on `/metrics`, after real traffic through a real collector process:
 * `pyroscope_fanout_latency` for each receiver (a Push into `pyroscope.receive_http`, scrapes
 * of a pprof server by `pyroscope.scrape`), and `pyroscope.write`'s `pyroscope_write_*` for a
 * push that is retried once then sent, and one the endpoint refuses (dropped) — each with
 * Alloy's type, `component_id` and `endpoint`, and the values those events give.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";
import { startSink } from "./support/strict_sink.ts";
import { profileBytes } from "./support/profiles.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { LabelSet } from "../core/labels.ts";

async function push(url: string, rawProfile: Uint8Array): Promise<number> {
  const body = encodePushRequest([{
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc" }),
    samples: [{ rawProfile }],
  }]);
  const response = await fetch(`${url}/push.v1.PusherService/Push`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: body as BodyInit,
  });
  await response.body?.cancel();
  return response.status;
}

/** The `# TYPE` line and every sample line of one metric family. */
function family(metrics: string, name: string): string[] {
  return metrics.split("\n").filter((line) =>
    line === `# TYPE ${name} ${line.split(" ")[3]}` ||
    (line.startsWith(name) && /^[{ _]/.test(line.slice(name.length)) && !line.startsWith("#"))
  );
}

Deno.test("alloy metrics: pyroscope_fanout_latency and pyroscope_write_* after traffic", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-alloy-metrics-" });
  const sink = await startSink();
  const pprof = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(profileBytes(99) as BodyInit, {
        headers: { "content-type": "application/octet-stream" },
      }),
  );
  const text = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
  pyroscope.scrape/app:
    targets: [{ __address__: "127.0.0.1:${pprof.addr.port}", service_name: app }]
    scrape_interval: 1s
    profiling_config:
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
      profile.process_cpu: { enabled: false }
exporters:
  pyroscope.write/out:
    endpoint:
      - name: main
        url: ${sink.url}
        min_backoff_period: 20ms
        max_backoff_period: 50ms
        max_backoff_retries: 3
  file: { directory: ${dir}/profiles }
service:
  pipelines:
    pushed: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
    scraped: { receivers: [pyroscope.scrape/app], exporters: [file] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`;
  const proc = new Profcol(["run", "--config", tempConfig(text, dir)], { entry: "main.ts" });
  try {
    const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/, 20_000))[1]!;
    const admin = await proc.adminUrl();
    const sent = profileBytes(1);
    const dropped = profileBytes(2, 100);
    sink.failNext({ kind: "status", status: 503 }); // retried, then sent
    assertEquals(await push(url, sent), 200);
    await sink.waitFor(1);
    sink.failNext({ kind: "status", status: 400, body: "bad" }); // dropped at once
    assertEquals(await push(url, dropped), 200);

    let metrics = "";
    for (let i = 0; i < 200; i++) {
      metrics = await (await fetch(`${admin}/metrics`)).text();
      const scraped = metrics.includes(
        'pyroscope_fanout_latency_count{component_id="pyroscope.scrape.app",component_path="/"}',
      );
      if (scraped && metrics.includes("pyroscope_write_dropped_profiles_total{")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const out = 'component_id="pyroscope.write.out",component_path="/",endpoint="main"';
    assertEquals(
      [
        "pyroscope_write_sent_bytes_total",
        "pyroscope_write_sent_profiles_total",
        "pyroscope_write_dropped_bytes_total",
        "pyroscope_write_dropped_profiles_total",
        "pyroscope_write_retries_total",
      ].map((name) => family(metrics, name)),
      [
        [
          "# TYPE pyroscope_write_sent_bytes_total counter",
          `pyroscope_write_sent_bytes_total{${out}} ${sent.byteLength}`,
        ],
        [
          "# TYPE pyroscope_write_sent_profiles_total counter",
          `pyroscope_write_sent_profiles_total{${out}} 1`,
        ],
        [
          "# TYPE pyroscope_write_dropped_bytes_total counter",
          `pyroscope_write_dropped_bytes_total{${out}} ${dropped.byteLength}`,
        ],
        [
          "# TYPE pyroscope_write_dropped_profiles_total counter",
          `pyroscope_write_dropped_profiles_total{${out}} 1`,
        ],
        [
          "# TYPE pyroscope_write_retries_total counter",
          `pyroscope_write_retries_total{${out}} 1`,
        ],
      ],
    );
    // Three requests (503, 200, 400), each timed once as Alloy's downstream latency.
    const latency = family(metrics, "pyroscope_write_latency");
    assertEquals(latency[0], "# TYPE pyroscope_write_latency histogram");
    assert(
      latency.includes(`pyroscope_write_latency_count{${out},type="push_downstream"} 3`),
      latency.join("\n"),
    );
    assert(
      latency.includes(`pyroscope_write_latency_bucket{${out},type="push_downstream",le="10"} 3`),
      latency.join("\n"),
    );

    const fanout = family(metrics, "pyroscope_fanout_latency");
    assertEquals(fanout[0], "# TYPE pyroscope_fanout_latency histogram");
    assert(
      fanout.includes(
        'pyroscope_fanout_latency_count{component_id="pyroscope.receive_http.in",component_path="/"} 2',
      ),
      fanout.join("\n"),
    );
    const scrapes = fanout.find((line) =>
      line.startsWith(
        'pyroscope_fanout_latency_count{component_id="pyroscope.scrape.app",component_path="/"} ',
      )
    );
    assert(scrapes && Number(scrapes.split(" ")[1]) >= 1, fanout.join("\n"));
    assert(
      fanout.includes(
        'pyroscope_fanout_latency_bucket{component_id="pyroscope.receive_http.in",component_path="/",le="+Inf"} 2',
      ),
      fanout.join("\n"),
    );
  } finally {
    await proc.kill();
    await pprof.shutdown();
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});
