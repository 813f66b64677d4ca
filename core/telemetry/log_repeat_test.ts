import { assertEquals } from "../../tests/support/assert.ts";
import { LogRepeater } from "./log_repeat.ts";
import { Logger } from "./logger.ts";

function setup() {
  const lines: Record<string, unknown>[] = [];
  let now = 1_000;
  const logger = new Logger({
    level: "debug",
    format: "json",
    write: (l) => lines.push(JSON.parse(l)),
  });
  const log = new LogRepeater(logger, { intervalMs: 60_000, now: () => now });
  return { lines, log, advance: (ms: number) => void (now += ms) };
}

Deno.test("LogRepeater: warns at once, then at most once per interval with counts", () => {
  const { lines, log, advance } = setup();
  assertEquals(log.warn("k", "dropped", { reason: "x" }, 2, "profiles"), true);
  advance(10_000);
  assertEquals(log.warn("k", "dropped", { reason: "x" }, 3, "profiles"), false);
  advance(49_999);
  assertEquals(log.warn("k", "dropped", { reason: "x" }, 1, "profiles"), false);
  advance(1);
  assertEquals(log.warn("k", "dropped", { reason: "x" }, 4, "profiles"), true);
  advance(60_000);
  assertEquals(log.warn("k", "dropped", () => ({ reason: "x" }), 1, "profiles"), true);
  assertEquals(
    lines.map((l) => [l.level, l.msg, l.reason, l.profiles, l.profiles_total]),
    [
      ["warn", "dropped", "x", 2, 2],
      ["warn", "dropped", "x", 8, 10],
      ["warn", "dropped", "x", 1, 11],
    ],
  );
});

Deno.test("LogRepeater: keys are independent; reset starts over and reports the streak", () => {
  const { lines, log, advance } = setup();
  log.warn("a", "a failed", {});
  log.warn("b", "b failed", {});
  advance(5_000);
  log.warn("a", "a failed", {});
  assertEquals(log.reset("a"), { pending: 1, total: 2, sinceFirstMs: 5_000 });
  assertEquals(log.reset("a"), undefined);
  log.warn("a", "a failed", {});
  assertEquals(lines.map((l) => [l.msg, l.count, l.count_total]), [
    ["a failed", 1, 1],
    ["b failed", 1, 1],
    ["a failed", 1, 1],
  ]);
  const due = log.hit("b");
  assertEquals(due, undefined);
  advance(60_000);
  assertEquals(log.hit("b"), { count: 2, total: 3, first: false, sinceFirstMs: 65_000 });
});
