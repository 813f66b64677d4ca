/**
 * Scraping N simulated Go targets (all default profile types): the collector's CPU time over
 * a window after one interval of warm-up, as a fraction of a core at Alloy's 15 s interval
 * (measured at 15 s in full runs; at 3 s and scaled in quick runs, which overstates nothing
 * but understates fixed costs), and its RSS at the end.
 */

import { cpuSeconds, round, rssMb, sinkStats, spawnJson, startCollector } from "../lib.ts";

export async function scrapeScenario(quick: boolean) {
  // BENCH_SCRAPE_TARGETS=10000 gives the 10,000-target figures (README), which have no target.
  const targets = Number(Deno.env.get("BENCH_SCRAPE_TARGETS") ?? (quick ? 200 : 1000));
  // Full runs scrape at Alloy's 15 s for real; quick runs at 3 s and scale the CPU to 15 s.
  const intervalS = Number(Deno.env.get("BENCH_SCRAPE_INTERVAL") ?? (quick ? "3" : "15"));
  const windowS = quick ? 9 : 30;
  // Each fake-target process holds a listener and a connection per target: past a few thousand
  // targets one process would run out of file descriptors, so they are split.
  const perProcess = 4000;
  const fakes = await Promise.all(
    Array.from(
      { length: Math.ceil(targets / perProcess) },
      (_, i) =>
        spawnJson<{ ports: number[] }>("bench/load/targets.ts", [
          String(Math.min(perProcess, targets - i * perProcess)),
        ]),
    ),
  );
  const ports = fakes.flatMap((fake) => fake.info.ports);
  const sink = await spawnJson<{ port: number }>("bench/load/sink.ts");
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  try {
    const list = ports.map((p) => `      - { __address__: "127.0.0.1:${p}" }`).join("\n");
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
  pipelines:
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
    const fractionAtInterval = cpu / windowS;
    return {
      scrape_targets: targets,
      scrape_cpu_core_fraction: round(fractionAtInterval * (intervalS / 15), 3),
      scrape_rss_mb: round(rss),
      scrape_profiles_per_s: round(delivered / windowS),
      [`scrape_cpu_core_fraction_at_${intervalS}s`]: round(fractionAtInterval, 3),
    };
  } finally {
    await collector?.stop();
    await sink.stop();
    for (const fake of fakes) await fake.stop();
  }
}
