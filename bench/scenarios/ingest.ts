/**
 * Ingest against the bare relay: real ~50 KiB gzip pprof bodies (a Go CPU profile) sent as
 * Connect Push to receive_http → relabel (5 rules) → pyroscope.write → sink, against a bare
 * Deno relay (receive, fetch forward) on the same bodies, same load generator, same run. The
 * collector's rate counts profiles the sink received, over the load plus the drain after it,
 * so queueing without delivering earns nothing. Also p99 latency at half the collector's
 * maximum rate, and nginx as a proxy_pass relay where installed.
 */

import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { LabelSet } from "../../core/labels.ts";
import { type Child, load, ROOT, round, sinkStats, spawnJson, startCollector } from "../lib.ts";
import { FIVE_RULES_YAML } from "./rules.ts";

export type IngestResult = {
  ingest_push_per_s: number;
  relay_per_s: number;
  ingest_vs_relay: number;
  ingest_p99_ms: number;
  nginx_relay_per_s: number | null;
  notes: string[];
};

function pushBodyFile(): string {
  const profile = Deno.readFileSync(`${ROOT}bench/testdata/cpu.pb.gz`);
  const body = encodePushRequest([{
    labels: LabelSet.from({
      __name__: "process_cpu",
      service_name: "checkout-svc",
      env: "prod",
      namespace: "shop",
      pod: "checkout-7d9f8b6c5-x2x9q",
      tmp_build: "1234",
    }),
    samples: [{ rawProfile: profile }],
  }]);
  const file = Deno.makeTempFileSync({ suffix: ".push" });
  Deno.writeFileSync(file, body);
  return file;
}

async function waitForSeries(port: number, target: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await sinkStats(port)).series >= target) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - started) / 1000;
}

async function nginxRelay(
  sinkPort: number,
  bodyFile: string,
  seconds: number,
): Promise<{ value: number | null; note?: string }> {
  const which = await new Deno.Command("sh", { args: ["-c", "command -v nginx"], stdout: "piped" })
    .output();
  if (!which.success) return { value: null, note: "nginx_relay_per_s: nginx is not installed" };
  const dir = Deno.makeTempDirSync({ prefix: "profcol-nginx-" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  Deno.writeTextFileSync(
    `${dir}/nginx.conf`,
    `worker_processes 2; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  client_max_body_size 64m; client_body_buffer_size 1m;
  upstream sink { server 127.0.0.1:${sinkPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://sink; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`,
  );
  const nginx = new Deno.Command("nginx", { args: ["-c", `${dir}/nginx.conf`], stderr: "null" })
    .spawn();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const url = `http://127.0.0.1:${port}/push.v1.PusherService/Push`;
    await load({ url, bodyFile, seconds: 1 });
    return { value: round((await load({ url, bodyFile, seconds })).per_s) };
  } finally {
    nginx.kill("SIGTERM");
    await nginx.status;
    Deno.removeSync(dir, { recursive: true });
  }
}

export async function ingestScenario(quick: boolean): Promise<IngestResult> {
  const seconds = quick ? 4 : 12;
  const bodyFile = pushBodyFile();
  const notes: string[] = [];
  const sink = await spawnJson<{ port: number }>("bench/load/sink.ts");
  const sinkUrl = `http://127.0.0.1:${sink.info.port}`;
  let relay: Child<{ port: number }> | undefined;
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  try {
    relay = await spawnJson<{ port: number }>("bench/load/relay.ts", [sinkUrl]);
    const relayUrl = `http://127.0.0.1:${relay.info.port}/push.v1.PusherService/Push`;
    await load({ url: relayUrl, bodyFile, seconds: 1 });
    const relayRun = await load({ url: relayUrl, bodyFile, seconds });
    await relay.stop();
    relay = undefined;

    collector = await startCollector(`receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    validate_profiles: ${Deno.env.get("BENCH_VALIDATE_PROFILES") ?? "false"}
processors:
  relabel/five:
    rule:
${FIVE_RULES_YAML}
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${sinkUrl}
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in]
      processors: [relabel/five]
      exporters: [pyroscope.write/out]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`);
    const pushUrl = `${collector.receiver}/push.v1.PusherService/Push`;
    const warm = await load({ url: pushUrl, bodyFile, seconds: 1 });
    const before = (await sinkStats(sink.info.port)).series;
    await waitForSeries(sink.info.port, before + warm.ok, 30_000);
    const base = (await sinkStats(sink.info.port)).series;
    const run = await load({ url: pushUrl, bodyFile, seconds });
    const drain = await waitForSeries(sink.info.port, base + run.ok, 60_000);
    const delivered = (await sinkStats(sink.info.port)).series - base;
    const ingestPerS = delivered / (run.elapsed_s + drain);
    if (run.statuses["429"]) {
      notes.push(`ingest: ${run.statuses["429"]} answers were 429 (backpressure)`);
    }

    const halfRate = Math.max(1, Math.floor(ingestPerS / 2));
    const paced = await load({ url: pushUrl, bodyFile, seconds, rate: halfRate });
    await collector.stop();
    collector = undefined;

    const nginx = await nginxRelay(sink.info.port, bodyFile, seconds);
    if (nginx.note) notes.push(nginx.note);
    return {
      ingest_push_per_s: round(ingestPerS),
      relay_per_s: round(relayRun.per_s),
      ingest_vs_relay: round(ingestPerS / relayRun.per_s, 2),
      ingest_p99_ms: round(paced.p99_ms, 2),
      nginx_relay_per_s: nginx.value,
      notes,
    };
  } finally {
    await relay?.stop();
    await collector?.stop();
    await sink.stop();
    Deno.removeSync(bodyFile);
  }
}
