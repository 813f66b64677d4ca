/**
 * Scraping a fleet of real Go targets (all five default profile types) into `pyroscope.write`
 * and a sink: ONE Go process (`bench/fleet`, standard library only) listens on every target's
 * port and serves its own runtime/pprof profiles — a heap profile of ~13,000 allocating stacks
 * (~450–520 KB decompressed) that changes between scrapes, and real CPU, goroutine, block and mutex
 * profiles. For each fleet size: the collector's CPU (cores), its RSS at the end, and delivered
 * ÷ due (profiles the sink received over those the schedule owed in the window, priming
 * excluded), after one interval of warm-up; and, from the collector's `/metrics` at the end,
 * its delta state in memory (`delta_state_mb`) and the states that went past
 * `service.delta_memory` (`delta_spilled`: spilled or dropped, counted per profile).
 *
 * Full runs: 1,000 and 3,000 targets at Alloy's 15 s. Quick runs: 200 at 3 s, CPU scaled to
 * 15 s. `service.workers` is passed only when asked (`BENCH_SCRAPE_WORKERS=1,default`: one run
 * per value, `default` leaving the key out), so the scenario runs before and after that
 * setting exists. `BENCH_SCRAPE_TARGETS=1000,3000` chooses the fleet sizes.
 */

import {
  ROOT,
  round,
  rssMb,
  sinkStats,
  spawnCommandJson,
  spawnJson,
  startCollector,
} from "../lib.ts";
import { cpuSeconds } from "../lib.ts";
import { goBinary } from "./delta.ts";

const TYPES = 5;

interface Fleet {
  ports: number[];
  stop(): Promise<void>;
}

/** Builds and starts the Go fleet with `n` ports. */
async function startFleet(n: number, dir: string): Promise<Fleet> {
  const go = goBinary();
  if (!go) throw new Error("Go is not installed (needed to build bench/fleet)");
  const binary = `${dir}/fleet`;
  const built = await new Deno.Command(go, {
    args: ["build", "-o", binary, "."],
    cwd: `${ROOT}bench/fleet`,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!built.success) {
    throw new Error(`go build bench/fleet: ${new TextDecoder().decode(built.stderr)}`);
  }
  const fleet = await spawnCommandJson<{ ports: number[] }>(
    binary,
    ["-ports", String(n)],
    "bench/fleet",
  );
  return { ports: fleet.info.ports, stop: fleet.stop };
}

async function heapProfileKb(port: number): Promise<number> {
  const body = new Uint8Array(
    await (await fetch(`http://127.0.0.1:${port}/debug/pprof/allocs`)).arrayBuffer(),
  );
  const raw = new Response(
    new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip")),
  );
  return (await raw.arrayBuffer()).byteLength / 1024;
}

/** The sum of every series of `name` in Prometheus text. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** One fleet size at one `workers` value (undefined: the key left out). */
async function runOnce(
  targets: number,
  workers: string | undefined,
  quick: boolean,
  dir: string,
): Promise<Record<string, number>> {
  const intervalS = Number(Deno.env.get("BENCH_SCRAPE_INTERVAL") ?? (quick ? "3" : "15"));
  const windowS = quick ? 9 : 45;
  const fleet = await startFleet(targets, dir);
  const sink = await spawnJson<{ port: number }>("bench/load/sink.ts");
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  try {
    // The workload reaches its full set of stacks within seconds: start once it has.
    const ready = performance.now();
    while (await heapProfileKb(fleet.ports[0]!) < 300 && performance.now() - ready < 20_000) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const list = fleet.ports.map((p) => `      - { __address__: "127.0.0.1:${p}" }`).join("\n");
    collector = await startCollector(`receivers:
  pyroscope.scrape/fleet:
    targets:
${list}
    scrape_interval: ${intervalS}s
    scrape_timeout: ${intervalS - 1}s
exporters:
  pyroscope.write/out:
    endpoint:
      - url: http://127.0.0.1:${sink.info.port}
service:
${workers === undefined ? "" : `  workers: ${workers}\n`}  pipelines:
    profiles: { receivers: [pyroscope.scrape/fleet], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`);
    // One interval to spread the loops and prime the deltas, then the measured window.
    await new Promise((r) => setTimeout(r, intervalS * 1000 + 500));
    const cpu0 = cpuSeconds(collector.pid);
    const series0 = (await sinkStats(sink.info.port)).series;
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const cpu = cpuSeconds(collector.pid) - cpu0;
    const delivered = (await sinkStats(sink.info.port)).series - series0;
    const rss = rssMb(collector.pid);
    const heapKb = await heapProfileKb(fleet.ports[0]!);
    const metrics = await (await fetch(`${collector.admin}/metrics`)).text();
    const due = (targets * TYPES * windowS) / intervalS;
    return {
      cpu_cores: round((cpu / windowS) * (intervalS / 15), 3),
      rss_mb: round(rss),
      delivered_ratio: round(delivered / due, 3),
      delta_state_mb: round(metricSum(metrics, "profcol_delta_state_bytes") / 1048576),
      delta_spilled: metricSum(metrics, "profcol_delta_state_limit_total"),
      // Healthy targets the collector called down (its own delay blamed on them).
      targets_down_logged: collector.logged("scrape target down"),
      heap_profile_kb: round(heapKb),
    };
  } finally {
    await collector?.stop();
    await sink.stop();
    await fleet.stop();
  }
}

export async function scrapeScenario(quick: boolean) {
  const sizes = (Deno.env.get("BENCH_SCRAPE_TARGETS") ?? (quick ? "200" : "1000,3000"))
    .split(",").map(Number);
  const workerRuns = (Deno.env.get("BENCH_SCRAPE_WORKERS") ?? "default").split(",")
    .map((w) => w.trim() === "default" ? undefined : w.trim());
  const dir = Deno.makeTempDirSync({ prefix: "profcol-fleet-" });
  const notes: string[] = [];
  const result: Record<string, unknown> = { notes };
  try {
    for (const workers of workerRuns) {
      for (const targets of sizes) {
        let out: Record<string, number>;
        try {
          out = await runOnce(targets, workers, quick, dir);
        } catch (error) {
          // E.g. `service.workers` on a build without it: say why, go on with the other runs.
          const why = (error as Error).message.trim().split("\n").slice(-3).join(" | ");
          notes.push(`scrape: ${targets} targets, workers ${workers ?? "default"}: failed: ${why}`);
          continue;
        }
        const prefix = `scrape_${targets}${workers === undefined ? "" : `_w${workers}`}_`;
        for (const [key, value] of Object.entries(out)) {
          result[prefix + key] = value;
        }
        // The first size at the default workers keeps the historical keys.
        if (workers === undefined && targets === sizes[0]) {
          result.scrape_targets = targets;
          result.scrape_cpu_core_fraction = out.cpu_cores;
          result.scrape_rss_mb = out.rss_mb;
        }
      }
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return result;
}
