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
import {
  type Child,
  cpuSeconds,
  load,
  ROOT,
  round,
  sinkStats,
  spawnJson,
  startCollector,
  treeCpuSeconds,
} from "../lib.ts";
import { FIVE_RULES_YAML } from "./rules.ts";

export type IngestResult = {
  ingest_push_per_s: number;
  relay_per_s: number;
  ingest_vs_relay: number;
  ingest_p99_ms: number | null;
  ingest_p99_schedule_kept: number | null;
  nginx_relay_per_s: number | null;
  ingest_cpu_us_per_profile: number;
  relay_cpu_us_per_profile: number;
  nginx_cpu_us_per_profile: number | null;
  ingest_cpu_vs_nginx: number | null;
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
): Promise<{ value: number | null; cpuUs: number | null; note?: string }> {
  const which = await new Deno.Command("sh", { args: ["-c", "command -v nginx"], stdout: "piped" })
    .output();
  if (!which.success) {
    return { value: null, cpuUs: null, note: "nginx_relay_per_s: nginx is not installed" };
  }
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
    // Wait until nginx accepts (a fixed pause was too short on a loaded machine: wrk then
    // measured refused connections as 0 requests per second).
    for (let waited = 0; waited < 10_000; waited += 100) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const url = `http://127.0.0.1:${port}/push.v1.PusherService/Push`;
    await load({ url, bodyFile, seconds: 1 });
    // nginx's CPU: the master and its workers (utime + stime from /proc).
    const cpu0 = treeCpuSeconds(nginx.pid);
    const run = await load({ url, bodyFile, seconds });
    const cpu = treeCpuSeconds(nginx.pid) - cpu0;
    return { value: round(run.per_s), cpuUs: round((cpu * 1e6) / Math.max(1, run.ok)) };
  } finally {
    nginx.kill("SIGTERM");
    await nginx.status;
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Builds vegeta (pinned by bench/vegeta/go.mod) into `dir`; its path, or why not. */
async function buildVegeta(dir: string): Promise<{ path?: string; reason?: string }> {
  for (const go of ["go", "/usr/local/go/bin/go"]) {
    try {
      const path = `${dir}/vegeta`;
      const out = await new Deno.Command(go, {
        args: ["build", "-o", path, "github.com/tsenart/vegeta/v12"],
        cwd: `${ROOT}bench/vegeta`,
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (out.success) return { path };
      return { reason: `go build vegeta failed: ${new TextDecoder().decode(out.stderr).trim()}` };
    } catch {
      // This go is not there; try the next.
    }
  }
  return { reason: "Go is not installed (needed to build vegeta)" };
}

/**
 * Open-loop latency with vegeta, which sends on its schedule whatever the answers do: p99 of
 * the collector's answers at `rate`, and the share of the schedule the generator kept
 * (achieved ÷ target rate). Below 95% the generator fell behind and measured itself, not
 * the collector: p99 is then null with the reason.
 */
async function openLoop(
  url: string,
  bodyFile: string,
  seconds: number,
  rate: number,
): Promise<{ p99Ms: number | null; kept: number | null; note?: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-vegeta-" });
  try {
    const built = await buildVegeta(dir);
    if (!built.path) {
      return { p99Ms: null, kept: null, note: `ingest_p99_ms null: ${built.reason}` };
    }
    Deno.writeTextFileSync(`${dir}/targets`, `POST ${url}\nContent-Type: application/proto\n`);
    const attack = await new Deno.Command(built.path, {
      args: [
        "attack",
        `-rate=${rate}/s`,
        `-duration=${seconds}s`,
        `-targets=${dir}/targets`,
        `-body=${bodyFile}`,
        `-output=${dir}/results.bin`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!attack.success) {
      const err = new TextDecoder().decode(attack.stderr).trim();
      return { p99Ms: null, kept: null, note: `ingest_p99_ms null: vegeta attack failed: ${err}` };
    }
    const report = await new Deno.Command(built.path, {
      args: ["report", "-type=json", `${dir}/results.bin`],
      stdout: "piped",
    }).output();
    const r = JSON.parse(new TextDecoder().decode(report.stdout)) as {
      rate: number;
      latencies: { "99th": number };
      status_codes: Record<string, number>;
    };
    const kept = r.rate / rate;
    if (kept < 0.95) {
      return {
        p99Ms: null,
        kept,
        note: `ingest_p99_ms null: vegeta kept ${
          (kept * 100).toFixed(1)
        }% of its ${rate}/s schedule (below 95%: the generator fell behind)`,
      };
    }
    const bad = Object.entries(r.status_codes).filter(([code]) => code !== "200");
    return {
      p99Ms: r.latencies["99th"] / 1e6,
      kept,
      note: bad.length ? `ingest_p99_ms: non-200 answers ${JSON.stringify(bad)}` : undefined,
    };
  } finally {
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
    const relayCpu0 = cpuSeconds(relay.proc.pid);
    const relayRun = await load({ url: relayUrl, bodyFile, seconds });
    const relayCpuUs = ((cpuSeconds(relay.proc.pid) - relayCpu0) * 1e6) / Math.max(1, relayRun.ok);
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
    const cpu0 = cpuSeconds(collector.pid);
    const run = await load({ url: pushUrl, bodyFile, seconds });
    const drain = await waitForSeries(sink.info.port, base + run.ok, 60_000);
    const delivered = (await sinkStats(sink.info.port)).series - base;
    // CPU per delivered profile: receive, relabel, batch and push, drain included.
    const ingestCpuUs = ((cpuSeconds(collector.pid) - cpu0) * 1e6) / Math.max(1, delivered);
    const ingestPerS = delivered / (run.elapsed_s + drain);
    if (run.statuses["429"]) {
      notes.push(`ingest: ${run.statuses["429"]} answers were 429 (backpressure)`);
    }

    const halfRate = Math.max(1, Math.floor(ingestPerS / 2));
    const paced = await openLoop(pushUrl, bodyFile, seconds, halfRate);
    if (paced.note) notes.push(paced.note);
    await collector.stop();
    collector = undefined;

    const nginx = await nginxRelay(sink.info.port, bodyFile, seconds);
    if (nginx.note) notes.push(nginx.note);
    return {
      ingest_push_per_s: round(ingestPerS),
      relay_per_s: round(relayRun.per_s),
      ingest_vs_relay: round(ingestPerS / relayRun.per_s, 2),
      ingest_p99_ms: paced.p99Ms === null ? null : round(paced.p99Ms, 2),
      ingest_p99_schedule_kept: paced.kept === null ? null : round(paced.kept, 3),
      nginx_relay_per_s: nginx.value,
      ingest_cpu_us_per_profile: round(ingestCpuUs),
      relay_cpu_us_per_profile: round(relayCpuUs),
      nginx_cpu_us_per_profile: nginx.cpuUs,
      ingest_cpu_vs_nginx: nginx.cpuUs ? round(ingestCpuUs / nginx.cpuUs, 2) : null,
      notes,
    };
  } finally {
    await relay?.stop();
    await collector?.stop();
    await sink.stop();
    Deno.removeSync(bodyFile);
  }
}
