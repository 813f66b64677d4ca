/**
 * `deno task bench --soak=DURATION` (e.g. `--soak=30m`): a long run of a realistic mix, to see
 * what grows. One collector (`main.ts run`) gets:
 * - scrapes of three real Go net/http/pprof targets (tests/support/go_pprof_target), every
 *   profile type Alloy enables by default, every 10 s;
 * - SDK-like pushes: four services over Connect Push and four over `/ingest`, one profile each
 *   per second;
 * - two endpoints: a steady strict sink, and one that flaps (down 20 s of every 60 s);
 * - a reload every 3 minutes that renames the flapping endpoint (so one endpoint is removed
 *   and another added each time) and changes an external label.
 *
 * Every 10 s it samples RSS, CPU time, the number of `/metrics` series and open file
 * descriptors (`process_open_fds`). At the end it prints the slopes per hour of RSS and CPU
 * (least squares, after a warm-up of a tenth of the run, at least 60 s), the series and fd
 * counts at the start (after the warm-up) and the end, and one JSON line.
 *
 * @module
 */

import { parseDuration } from "../core/duration.ts";
import { startSink } from "../tests/support/strict_sink.ts";
import { Profcol } from "../tests/support/process.ts";
import { type GoTarget, startGoTarget } from "../tests/reliability/toxiproxy.ts";
import { sendIngest, sendPush } from "../tests/reliability/harness.ts";

interface Sample {
  t: number;
  rssMiB: number;
  cpuS: number;
  series: number;
  fds: number;
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024;
}

function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based) of /proc/pid/stat; after "comm" they are 12, 13.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function config(sinkUrl: string, flapUrl: string, targets: GoTarget[], generation: number): string {
  const list = targets.map((t, i) =>
    `      - { __address__: "${t.address}", service_name: go-${i} }`
  )
    .join("\n");
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
  pyroscope.scrape/go:
    targets:
${list}
    scrape_interval: 10s
exporters:
  pyroscope.write/out:
    external_labels: { soak_generation: "g${generation % 2}" }
    endpoint:
      - url: ${sinkUrl}
        name: steady
      - url: ${flapUrl}
        name: flappy-${generation}
        min_backoff_period: 200ms
        max_backoff_period: 2s
    queue: { max_bytes: 32MiB }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in, pyroscope.scrape/go]
      exporters: [pyroscope.write/out]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
}

/** Runs the soak for `durationText`; prints the figures and returns them. */
export async function runSoak(durationText: string): Promise<Record<string, number>> {
  const durationMs = parseDuration(durationText);
  const steady = await startSink({ validateTimeWindow: false });
  const flappy = await startSink({ validateTimeWindow: false });
  const targets = [await startGoTarget(), await startGoTarget(), await startGoTarget()];
  const dir = Deno.makeTempDirSync({ prefix: "profcol-soak-" });
  const configPath = `${dir}/config.yaml`;
  let generation = 0;
  Deno.writeTextFileSync(configPath, config(steady.url, flappy.url, targets, generation));
  const proc = new Profcol(["run", "--config", configPath], { entry: "main.ts" });
  const timers: ReturnType<typeof setInterval>[] = [];
  let stopping = false;
  const samples: Sample[] = [];
  let pushes = 0;
  let failedPushes = 0;
  let reloads = 0;
  let failedReloads = 0;
  try {
    const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/, 30_000))[1]!;
    const admin = await proc.adminUrl();
    const pid = proc.child.pid;
    const started = Date.now();
    // SDK-like pushes: 8 services, one profile per second each.
    const pushing = (async () => {
      let n = 0;
      while (!stopping) {
        const tick = Date.now();
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => {
            const k = n++;
            return i < 4 ? sendPush(url, k, 20_000) : sendIngest(url, k, 20_000);
          }),
        );
        pushes += results.length;
        failedPushes += results.filter((r) => r.status !== 200).length;
        const wait = 1000 - (Date.now() - tick);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    // The flapping endpoint: down 20 s of every 60 s.
    timers.push(setInterval(async () => {
      await flappy.down();
      setTimeout(() => void flappy.up(), 20_000);
    }, 60_000));
    // A reload every 3 minutes.
    timers.push(setInterval(async () => {
      generation++;
      Deno.writeTextFileSync(configPath, config(steady.url, flappy.url, targets, generation));
      const response = await fetch(`${admin}/-/reload`, { method: "POST" });
      await response.body?.cancel();
      reloads++;
      if (!response.ok) failedReloads++;
    }, 180_000));
    const sample = async () => {
      const text = await (await fetch(`${admin}/metrics`)).text();
      const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
      const fdLine = lines.find((l) => l.startsWith("process_open_fds"));
      const s: Sample = {
        t: (Date.now() - started) / 1000,
        rssMiB: rssMiB(pid),
        cpuS: cpuSeconds(pid),
        series: lines.length,
        fds: fdLine ? Number(fdLine.slice(fdLine.lastIndexOf(" ") + 1)) : NaN,
      };
      samples.push(s);
      console.error(
        `soak: t=${s.t.toFixed(0)}s rss=${s.rssMiB.toFixed(1)}MiB cpu=${s.cpuS.toFixed(1)}s ` +
          `series=${s.series} fds=${s.fds} pushes=${pushes} refused=${failedPushes} reloads=${reloads}`,
      );
    };
    while (Date.now() - started < durationMs) {
      await new Promise((r) =>
        setTimeout(r, Math.min(10_000, durationMs - (Date.now() - started)))
      );
      await sample();
    }
    stopping = true;
    await pushing;

    const warmup = Math.max(60, durationMs / 1000 / 10);
    const steadyState = samples.filter((s) => s.t >= warmup);
    const xs = steadyState.map((s) => s.t / 3600);
    // CPU: the share of one core used between consecutive samples, as a time series.
    const cpuShare = steadyState.slice(1).map((s, i) =>
      (s.cpuS - steadyState[i]!.cpuS) / (s.t - steadyState[i]!.t)
    );
    const first = steadyState[0] ?? samples[0]!;
    const last = samples.at(-1)!;
    const figures: Record<string, number> = {
      soak_s: Math.round(last.t),
      pushes,
      refused_pushes: failedPushes,
      reloads,
      failed_reloads: failedReloads,
      sent_steady: steady.pushes.length + steady.ingests.length,
      sent_flappy: flappy.pushes.length + flappy.ingests.length,
      rss_mib_start: Number(first.rssMiB.toFixed(1)),
      rss_mib_end: Number(last.rssMiB.toFixed(1)),
      rss_mib_max: Number(Math.max(...samples.map((s) => s.rssMiB)).toFixed(1)),
      rss_mib_per_hour: Number(slope(xs, steadyState.map((s) => s.rssMiB)).toFixed(1)),
      cpu_core_share_mean: Number(
        (cpuShare.reduce((a, b) => a + b, 0) / Math.max(1, cpuShare.length)).toFixed(3),
      ),
      cpu_core_share_per_hour: Number(slope(xs.slice(1), cpuShare).toFixed(3)),
      series_start: first.series,
      series_end: last.series,
      series_max: Math.max(...samples.map((s) => s.series)),
      fds_start: first.fds,
      fds_end: last.fds,
      fds_max: Math.max(...samples.map((s) => s.fds)),
    };
    for (const [key, value] of Object.entries(figures)) {
      console.log(`${key.padEnd(28)}${value}`);
    }
    console.log(JSON.stringify(figures));
    return figures;
  } finally {
    stopping = true;
    for (const timer of timers) clearInterval(timer);
    await proc.kill();
    for (const target of targets) await target.stop();
    await steady.close();
    await flappy.close();
    Deno.removeSync(dir, { recursive: true });
  }
}
