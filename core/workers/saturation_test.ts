import { assertEquals } from "../../tests/support/assert.ts";
import { Logger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { SaturationReporter } from "./saturation.ts";

Deno.test("saturation: one warn per episode with how late and what to do, counters by reason, one info on recovery", () => {
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({ format: "json", write: (l) => records.push(JSON.parse(l)) });
  const skipped = new MetricsRegistry().counter("skipped_total", "", ["component_id", "reason"]);
  let now = 0;
  const reporter = new SaturationReporter({
    logger,
    componentId: "pyroscope.scrape/a",
    skipped,
    workers: 2,
    recoveryMs: 10_000,
    warmUntil: 1_000,
    now: () => now,
  });
  reporter.skipped("late", 900); // warming up: counted, not warned
  assertEquals(reporter.saturated, false);
  now = 1_000;
  reporter.skipped("late", 1_500);
  now = 4_000;
  reporter.skipped("worker_backlog", 2_500, 3);
  reporter.onTime(); // too soon after the last skip
  assertEquals(reporter.saturated, true);
  now = 14_000;
  reporter.onTime();
  assertEquals(reporter.saturated, false);
  reporter.onTime();
  const lines: Record<string, unknown>[] = records.map(({ ts: _ts, advice, ...rest }) => ({
    ...rest,
    advice: !!advice,
  }));
  assertEquals(lines, [
    {
      level: "warn",
      msg: "collector saturated: it cannot keep the scrape schedule and skips ticks",
      reason: "late",
      behind_by: "1.5s",
      workers: 2,
      advice: true,
    },
    {
      level: "info",
      msg: "collector keeps the scrape schedule again",
      saturated_for: "3s",
      skipped_ticks: 4,
      worst_lag: "2.5s",
      advice: false,
    },
  ]);
  assertEquals(skipped.get({ component_id: "pyroscope.scrape/a", reason: "late" }), 2);
  assertEquals(skipped.get({ component_id: "pyroscope.scrape/a", reason: "worker_backlog" }), 3);
});
