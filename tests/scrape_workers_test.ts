/**
 * Scrapes on worker threads, over real sockets on 127.0.0.1:
 * - `service.workers: 2`: every scraped profile is admitted once (the delta chain of a target
 *   has no gap and no repeat), a reload keeps an unchanged scrape component's delta state and
 *   restarts a changed one's loops cleanly (its first scrape only primes again), and the
 *   console's targets view stays one view.
 * - Overload: a collector whose own thread is stalled on purpose skips ticks, counts them,
 *   writes ONE saturation warning and one recovery line, and never reports the healthy
 *   targets down — on the main thread (`workers: 1`) and with two workers.
 * - A worker thread that dies is the collector's failure: counted, the target stays up, and
 *   scraping resumes on the replacement thread.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { startPprofPeer } from "./support/pprof_peer.ts";
import { instances, type TestExporter, testFactories } from "./support/test_factories.ts";
import { builtinFactories } from "../components.ts";
import { loadAndValidate } from "../core/config/mod.ts";
import type { PushItem } from "../core/items.ts";
import { Registry } from "../core/registry.ts";
import { Service } from "../core/service/service.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import { inlineRunner, WorkerPool } from "../core/workers/pool.ts";
import { decodeProfile } from "../pprof/profile.ts";
import { gunzipIfNeeded } from "../pprof/gzip.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";
import type { TargetStatus } from "../receivers/pyroscope_scrape/scrape_loop.ts";

const registry = new Registry([...builtinFactories, ...testFactories]);

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** JSON log records written to memory. */
function recordingLogger() {
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({
    level: "debug",
    format: "json",
    write: (line) => records.push(JSON.parse(line)),
  });
  return { logger, records, messages: (msg: string) => records.filter((r) => r.msg === msg) };
}

/** (time, duration) in whole seconds of each delta, in delivery order. */
function chain(items: readonly PushItem[]): [number, number][] {
  return items.map((item) => {
    const p = decodeProfile(gunzipIfNeeded(item.samples[0]!.rawProfile, 1 << 20));
    return [p.timeNanos / 1e9, p.durationNanos / 1e9];
  });
}

/** Consecutive request numbers, each delta covering exactly the one request before it. */
function assertUnbroken(links: [number, number][], what: string): void {
  links.forEach(([time, duration], i) => {
    assertEquals(duration, 1, `${what}: delta ${i} covers one scrape`);
    if (i > 0) assertEquals(time, links[i - 1]![0] + 1, `${what}: delta ${i} follows the last`);
  });
}

const scrapeYaml = (id: string, address: string, timeout: string) => `
  pyroscope.scrape/${id}:
    targets: [{ __address__: "${address}", service_name: ${id} }]
    scrape_interval: 100ms
    scrape_timeout: ${timeout}
    profiling_config:
      profile.process_cpu: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
      profile.goroutine: { enabled: false }`;

Deno.test("workers: 2 — each scraped profile admitted once; a reload keeps an unchanged scraper's delta state and restarts a changed one cleanly", async () => {
  const kept = await startPprofPeer();
  const changed = await startPprofPeer();
  // The reload changes only the changed scraper's timeout: same targets, new component.
  const config = (changedTimeout: string) =>
    loadAndValidate(["c.yaml"], registry, {
      readFile: () =>
        `receivers:${scrapeYaml("kept", kept.address, "2s")}${
          scrapeYaml("changed", changed.address, changedTimeout)
        }
exporters:
  test.exporter/out: { capacity: 1000000 }
service:
  workers: 2
  pipelines:
    p: { receivers: [pyroscope.scrape/kept, pyroscope.scrape/changed], exporters: [test.exporter/out] }
`,
      env: () => undefined,
    });
  const metrics = new MetricsRegistry();
  const service = new Service({ logger: recordingLogger().logger, metrics, version: "t" });
  instances.clear();
  const out = () => instances.get("test.exporter/out") as TestExporter;
  const of = (service: string) =>
    out().items.filter((i) => i.labels.get("service_name") === service) as PushItem[];
  let changedAtReload = 0;
  try {
    await service.start(config("2s"));
    assertEquals(service.workerCount, 2);
    await until(() => of("kept").length >= 3 && of("changed").length >= 3, "deltas before reload");
    await service.reload(config("3s"));
    changedAtReload = of("changed").length;
    const keptState = (service.published("targets") as TargetStatus[])
      .find((t) => t.component_id === "pyroscope.scrape/kept")!;
    assert(keptState.delta_state_bytes > 0, "the kept scraper keeps its delta state");
    await until(() => of("changed").length >= changedAtReload + 3, "deltas after reload");
    const targets = service.published("targets") as TargetStatus[];
    assertEquals(
      targets.map((t) => [t.component_id, t.health, t.profile_type]).sort(),
      [["pyroscope.scrape/changed", "up", "memory"], ["pyroscope.scrape/kept", "up", "memory"]],
    );
  } finally {
    await service.shutdown();
    await kept.stop();
    await changed.stop();
  }
  const keptChain = chain(of("kept"));
  assertEquals(keptChain[0]![0], 2, "the first scrape (request 1) only primed");
  assertUnbroken(keptChain, "kept scraper across the reload");
  // The old instance stopped before the new one started, so the split is exact.
  const one = chain(of("changed").slice(0, changedAtReload));
  const two = chain(of("changed").slice(changedAtReload));
  assertUnbroken(one, "changed scraper before the reload");
  assertUnbroken(two, "changed scraper after the reload");
  assert(
    two[0]![0] >= one.at(-1)![0] + 2,
    `the changed scraper primed again after the reload: ${JSON.stringify([one.at(-1), two[0]])}`,
  );
  const delivered = out().items.length;
  assertEquals(
    metrics.counter("profcol_scrape_profiles_total", "", ["component_id"]).sumMatching({}),
    delivered,
    "every forwarded profile reached the exporter once",
  );
});

/** Blocks the calling thread for `ms`. */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the collector's own overload, on purpose */ }
}

for (const workers of [1, 2]) {
  Deno.test(`overload (workers: ${workers}): a stalled collector skips ticks, warns once that it is saturated, and never marks healthy targets down`, async () => {
    // Answers take 40 ms, so scrapes are in flight when the collector stalls.
    const peer = await startPprofPeer({ delayMs: 40 });
    const pool = workers > 1 ? new WorkerPool(workers) : undefined;
    const log = recordingLogger();
    const metrics = new MetricsRegistry();
    const sink = new RecordingConsumer();
    const settings = testSettings("pyroscope.scrape/fleet", { logger: log.logger, metrics });
    const receiver = new ScrapeReceiver(
      { ...settings, host: { ...settings.host, workers: () => pool ?? inlineRunner } },
      scrapeConfigSchema.parse({
        targets: [0, 1, 2, 3].map((n) => ({ __address__: peer.address, n: String(n) })),
        scrape_interval: "200ms",
        scrape_timeout: "200ms",
        profiling_config: {
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
        },
      }),
      sink,
      {},
      1_000,
    );
    const skipped = metrics.counter("profcol_scrape_skipped_ticks_total", "", [
      "component_id",
      "reason",
    ]);
    try {
      await receiver.start();
      await until(() => receiver.status().every((s) => s.health === "up"), "all targets up");
      const before = sink.items.length;
      for (let i = 0; i < 5; i++) {
        stall(450);
        await new Promise((r) => setTimeout(r, 150));
      }
      const duringOverload = sink.items.length - before;
      await until(
        () => log.messages("collector keeps the scrape schedule again").length === 1,
        "the recovery line",
      );
      const warnings = log.messages(
        "collector saturated: it cannot keep the scrape schedule and skips ticks",
      );
      assertEquals(warnings.length, 1, "one warning for the whole episode");
      assertEquals(warnings[0]!.level, "warn");
      assertEquals(warnings[0]!.workers, Math.max(1, workers));
      assert(String(warnings[0]!.advice).includes("service.workers"), String(warnings[0]!.advice));
      assert(skipped.sumMatching({ component_id: "pyroscope.scrape/fleet" }) > 0, "skips counted");
      assert(duringOverload > 0, "profiles kept flowing while saturated");
      assertEquals(log.messages("scrape target down"), []);
      assertEquals(receiver.status().map((s) => s.health), new Array(8).fill("up"));
      metrics.render(); // runs the collectors of the gauges
      assertEquals(
        metrics.gauge("profcol_scrape_targets_up", "", ["component_id", "job"]).get({
          component_id: "pyroscope.scrape/fleet",
          job: "pyroscope.scrape.fleet",
        }),
        8,
      );
    } finally {
      await receiver.shutdown();
      pool?.close();
      await peer.stop();
    }
  });
}

Deno.test("a worker thread that dies is not the target's failure; its loops resume on the replacement", async () => {
  // Answers take 1 s at a 300 ms interval, so a scrape is always in flight.
  const peer = await startPprofPeer({ delayMs: 1_000 });
  const pool = new WorkerPool(1);
  const log = recordingLogger();
  const metrics = new MetricsRegistry();
  const sink = new RecordingConsumer();
  const settings = testSettings("pyroscope.scrape/one", { logger: log.logger, metrics });
  const receiver = new ScrapeReceiver(
    { ...settings, host: { ...settings.host, workers: () => pool } },
    scrapeConfigSchema.parse({
      targets: [{ __address__: peer.address }],
      scrape_interval: "300ms",
      scrape_timeout: "3s",
      profiling_config: {
        "profile.process_cpu": { enabled: false },
        "profile.block": { enabled: false },
        "profile.mutex": { enabled: false },
        "profile.memory": { enabled: false },
      },
    }),
    sink,
  );
  try {
    await receiver.start();
    const loop = receiver.loops[0]!;
    await until(() => loop.health === "up", "the first scrape");
    const scrapes = loop.scrapes;
    await new Promise((r) => setTimeout(r, 500)); // the next scrape is in flight
    const crash = new URL("../core/workers/testdata/tasks.ts", import.meta.url).href;
    await pool.run(crash, "crash", null, { affinity: 0 }).catch(() => {});
    await until(() => loop.skippedTicks >= 1, "the lost scrape counted");
    await until(() => loop.scrapes >= scrapes + 1, "a scrape on the new thread");
    assertEquals(loop.health, "up");
    assertEquals(log.messages("scrape target down"), []);
    assertEquals(
      metrics.counter("profcol_scrape_skipped_ticks_total", "", ["component_id", "reason"]).get({
        component_id: "pyroscope.scrape/one",
        reason: "worker_failed",
      }),
      1,
    );
  } finally {
    await receiver.shutdown();
    pool.close();
    await peer.stop();
  }
});
