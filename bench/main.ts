/**
 * `deno task bench [--quick]`: every scenario in turn, a table for people, and as the last
 * line one JSON object with every key (numbers; `null` where a scenario could not run).
 * Each scenario starts its own servers on 127.0.0.1 and runs its load generator as a
 * separate process. See bench/README.md.
 */

import { deltaScenario } from "./scenarios/delta.ts";
import { ingestScenario } from "./scenarios/ingest.ts";
import { relabelScenario } from "./scenarios/relabel.ts";
import { sampleLabelsScenario } from "./scenarios/sample_labels.ts";
import { scrapeScenario } from "./scenarios/scrape.ts";
import { startupScenario } from "./scenarios/startup.ts";

const soak = Deno.args.find((a) => a.startsWith("--soak="))?.slice("--soak=".length);
if (soak !== undefined) {
  // A long run on its own (bench/soak.ts): RSS and CPU slopes, /metrics series, open fds.
  const { runSoak } = await import("./soak.ts");
  await runSoak(soak);
  Deno.exit(0);
}

const quick = Deno.args.includes("--quick");
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice("--only=".length);

type Value = number | null;
const TARGETS: Record<string, [string, (v: number) => boolean]> = {
  ingest_vs_relay: ["≥ 1.5", (v) => v >= 1.5],
  ingest_cpu_vs_nginx: ["≤ 2.5", (v) => v <= 2.5],
  ingest_p99_schedule_kept: ["≥ 0.95", (v) => v >= 0.95],
  relabel_items_per_s: ["≥ 1,000,000", (v) => v >= 1_000_000],
  relabel_uncached_items_per_s: ["≥ 200,000", (v) => v >= 200_000],
  // Issue 24 (real Go fleet; judged on full runs: 1,000 and 3,000 targets at 15 s).
  scrape_cpu_core_fraction: ["≤ 0.35 (1,000 targets)", (v) => v <= 0.35],
  scrape_rss_mb: ["≤ 400 (1,000 targets)", (v) => v <= 400],
  scrape_1000_cpu_cores: ["≤ 0.35", (v) => v <= 0.35],
  scrape_1000_rss_mb: ["≤ 400", (v) => v <= 400],
  scrape_1000_delivered_ratio: ["≥ 0.97", (v) => v >= 0.97],
  scrape_3000_rss_mb: ["≤ 1,200", (v) => v <= 1200],
  scrape_3000_delivered_ratio: ["≥ 0.95", (v) => v >= 0.95],
  delta_mb_per_s: ["≥ 100", (v) => v >= 100],
  delta_vs_fastdelta: ["≥ 2.5 (big-heap, steady)", (v) => v >= 2.5],
  delta_vs_fastdelta_heap: ["≥ 2.5", (v) => v >= 2.5],
  delta_vs_fastdelta_big_heap: ["≥ 2.5", (v) => v >= 2.5],
  idle_rss_mb: ["≤ 60", (v) => v <= 60],
  startup_ready_ms: ["≤ 300", (v) => v <= 300],
};

const results: Record<string, Value> = {};
const notes: string[] = [];
const scenarios: [string, () => Promise<Record<string, unknown>> | Record<string, unknown>][] = [
  ["startup", () => startupScenario(quick)],
  ["relabel", () => relabelScenario(quick)],
  ["delta", () => deltaScenario(quick)],
  ["ingest", () => ingestScenario(quick)],
  ["scrape", () => scrapeScenario(quick)],
  ["sample_labels", () => sampleLabelsScenario(quick)],
];
const started = performance.now();
for (const [name, run] of scenarios) {
  if (only && !only.split(",").includes(name)) continue;
  const t0 = performance.now();
  try {
    const out = await run();
    for (const [key, value] of Object.entries(out)) {
      if (key === "notes") notes.push(...(value as string[]));
      else results[key] = value as Value;
    }
  } catch (error) {
    notes.push(`${name}: failed: ${(error as Error).message}`);
  }
  console.error(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const KEYS = [
  "ingest_push_per_s",
  "relay_per_s",
  "ingest_vs_relay",
  "ingest_p99_ms",
  "nginx_relay_per_s",
  "ingest_cpu_us_per_profile",
  "relay_cpu_us_per_profile",
  "nginx_cpu_us_per_profile",
  "ingest_cpu_vs_nginx",
  "ingest_p99_schedule_kept",
  "relabel_items_per_s",
  "relabel_uncached_items_per_s",
  "scrape_targets",
  "scrape_cpu_core_fraction",
  "scrape_rss_mb",
  "delta_mb_per_s",
  "fastdelta_mb_per_s",
  "delta_vs_fastdelta",
  "idle_rss_mb",
  "startup_ready_ms",
];
const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
console.log(
  `profcol bench (${quick ? "quick" : "full"}) on ${navigator.hardwareConcurrency} × ${cpu}`,
);
console.log("");
console.log("metric                              value         target");
for (const key of [...KEYS, ...Object.keys(results).filter((k) => !KEYS.includes(k))]) {
  const value = results[key];
  const target = TARGETS[key];
  const mark = value === null || value === undefined || !target
    ? ""
    : target[1](value)
    ? "  met"
    : "  NOT met";
  console.log(
    `${key.padEnd(36)}${String(value ?? "null").padEnd(14)}${target?.[0] ?? ""}${mark}`,
  );
}
for (const note of notes) console.log(`note: ${note}`);
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
const json: Record<string, Value> = {};
for (const key of [...KEYS, ...Object.keys(results).filter((k) => !KEYS.includes(k))]) {
  json[key] = results[key] ?? null;
}
console.log(JSON.stringify(json));
