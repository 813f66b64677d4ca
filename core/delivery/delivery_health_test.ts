/**
 * Delivery queue operability: endpoint health lines (first failure at warn with the root cause,
 * a reminder at most once per interval with counts, one info line on recovery), the status
 * fields, hand-over to a successor queue on reload, retirement of a removed endpoint and the
 * "gave up" line of a shutdown. The clock and the interval are injected, so nothing waits a
 * minute.
 */

import { assert, assertEquals } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import type { PushItem } from "../items.ts";
import { Logger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { deliveryMetrics } from "./delivery_metrics.ts";
import { DeliveryQueue, type Parcel } from "./delivery_queue.ts";
import { sized } from "../admission.ts";
import type { QueuedItem } from "./item_codec.ts";
import { DELIVERED, type Outcome } from "./outcome.ts";
import { queueConfigSchema } from "./queue_config.ts";

function item(n: number): QueuedItem {
  const push: PushItem = {
    kind: "push",
    labels: LabelSet.from({ service_name: "svc", n: String(n) }),
    samples: [{ rawProfile: new Uint8Array(10).fill(n) }],
  };
  return { item: push, meta: {} };
}
const nOf = (q: QueuedItem) => Number(q.item.labels.get("n"));
const parcel = (queued: QueuedItem): Parcel => ({ ...sized(queued.item), queued });
async function enqueue(queue: DeliveryQueue, ...items: QueuedItem[]): Promise<void> {
  (await queue.reserve(items.map(parcel))).commit();
}
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const REFUSED: Outcome = { kind: "retry", reason: "connect_error", message: "connection refused" };

function setup(options: {
  send: (batch: readonly QueuedItem[]) => Outcome | Promise<Outcome>;
  metrics?: MetricsRegistry;
  lines?: Record<string, unknown>[];
  clock?: { now: number };
  queue?: Record<string, unknown>;
}) {
  const lines = options.lines ?? [];
  const logger = new Logger({
    level: "info",
    format: "json",
    write: (l) => lines.push(JSON.parse(l)),
  }).child({ component_id: "pyroscope.write/x" });
  const metrics = options.metrics ?? new MetricsRegistry();
  const clock = options.clock ?? { now: 0 };
  const queue = new DeliveryQueue({
    componentId: "pyroscope.write/x",
    endpoint: "e1",
    config: queueConfigSchema.parse({ senders: 1, drain_timeout: "50ms", ...options.queue }),
    retry: { minBackoffMs: 2, maxBackoffMs: 5, maxAttempts: 0 },
    metrics: deliveryMetrics(metrics),
    logger,
    repeatIntervalMs: 60_000,
    now: () => clock.now,
    batchKey: () => "",
    send: (batch) => Promise.resolve(options.send(batch)),
  });
  return { queue, lines, metrics, clock };
}

const pick = (lines: Record<string, unknown>[], ...keys: string[]) =>
  lines.map((l) => Object.fromEntries(keys.filter((k) => k in l).map((k) => [k, l[k]])));

Deno.test("health: first failure warns with the cause, reminders once per interval, recovery is info", async () => {
  let down = true;
  let attempts = 0;
  const { queue, lines, clock } = setup({
    send: () => {
      attempts++;
      return down ? REFUSED : DELIVERED;
    },
  });
  await queue.start();
  try {
    await enqueue(queue, item(1), item(2));
    await until(() => attempts >= 5);
    let status = queue.status();
    assertEquals(
      [status.health, status.last_error, status.queued_profiles],
      ["failing", "connection refused", 2],
    );
    assert(typeof status.failing_since === "string", "failing_since is set");
    assert(status.consecutive_failures >= 5, `${status.consecutive_failures}`);
    assertEquals(lines.length, 1, JSON.stringify(lines));
    clock.now = 60_000; // an interval later: the next failure reminds, with counts
    const before = attempts;
    await until(() => attempts > before + 1);
    clock.now = 90_000;
    await enqueue(queue, item(3));
    down = false;
    await until(() => queue.status().queued_profiles === 0);
    status = queue.status();
    assertEquals([status.health, status.failing_since, status.consecutive_failures], [
      "ok",
      null,
      0,
    ]);
    assertEquals(
      pick(lines, "level", "msg", "component_id", "endpoint", "cause", "queued_profiles"),
      [
        {
          level: "warn",
          msg: "endpoint failing",
          component_id: "pyroscope.write/x",
          endpoint: "e1",
          cause: "connection refused",
          queued_profiles: 2,
        },
        {
          level: "warn",
          msg: "endpoint still failing",
          component_id: "pyroscope.write/x",
          endpoint: "e1",
          cause: "connection refused",
          queued_profiles: 2,
        },
        {
          level: "info",
          msg: "endpoint recovered",
          component_id: "pyroscope.write/x",
          endpoint: "e1",
        },
      ],
    );
    assertEquals(lines[0]!.failed_attempts, 1);
    assert((lines[1]!.failed_attempts as number) >= 5, JSON.stringify(lines[1]));
    assertEquals(lines[1]!.failing_for, "1m0s");
    assertEquals([lines[2]!.outage, lines[2]!.waited_profiles], ["1m30s", 3]);
  } finally {
    await queue.shutdown();
  }
});

Deno.test("health: Retry-After shows as paused; drops warn once per interval with counts", async () => {
  const { queue, lines, clock } = setup({
    send: (batch) =>
      nOf(batch[0]!) === 0
        ? { kind: "retry", reason: "http_429", message: "HTTP 429", retryAfterMs: 60_000 }
        : { kind: "drop", reason: "http_400", message: "HTTP 400: bad", splittable: false },
    queue: { batch_max_items: 1 },
  });
  await queue.start();
  try {
    await enqueue(queue, item(1));
    await enqueue(queue, item(2));
    await until(() => queue.status().queued_profiles === 0);
    clock.now = 60_000;
    await enqueue(queue, item(3));
    await until(() => queue.status().queued_profiles === 0);
    const drops = lines.filter((l) => l.msg === "dropped profiles");
    assertEquals(pick(drops, "level", "reason", "cause", "profiles", "profiles_total"), [
      { level: "warn", reason: "http_400", cause: "HTTP 400: bad", profiles: 1, profiles_total: 1 },
      { level: "warn", reason: "http_400", cause: "HTTP 400: bad", profiles: 2, profiles_total: 3 },
    ]);
    await enqueue(queue, item(0));
    await until(() => queue.status().health === "paused");
    assert(queue.status().paused_until !== null);
  } finally {
    await queue.shutdown();
  }
});

Deno.test("hand-over: queued items move to the successor at once, oldest first, nothing dropped or sent twice", async () => {
  const metrics = new MetricsRegistry();
  let down = true;
  const sent: number[] = [];
  const send = (batch: readonly QueuedItem[]) => {
    if (down) return REFUSED;
    sent.push(...batch.map(nOf));
    return DELIVERED;
  };
  const lines: Record<string, unknown>[] = [];
  const old = setup({ send, metrics, lines });
  const next = setup({ send, metrics, lines });
  await old.queue.start();
  await next.queue.start();
  await enqueue(old.queue, item(1), item(2), item(3));
  await until(() => old.queue.status().consecutive_failures >= 2);
  await enqueue(next.queue, item(4));
  const moved = old.queue.handOver(next.queue);
  assertEquals([moved.profiles, moved.via], [3, "memory"]);
  const started = performance.now();
  await old.queue.shutdown();
  assert(performance.now() - started < 40, "no drain: the old queue stops at once");
  down = false;
  await until(() => sent.length >= 4);
  await next.queue.shutdown();
  // The successor's own batch may be in flight already; the handed-over ones go first after it.
  assertEquals(sent.toSorted((a, b) => a - b), [1, 2, 3, 4]);
  assertEquals(sent.filter((n) => n < 4), [1, 2, 3]);
  assert(!metrics.render().includes("profcol_exporter_dropped_profiles_total{"), metrics.render());
  assert(!lines.some((l) => String(l.msg).startsWith("gave up")), JSON.stringify(lines));
});

Deno.test("retire: a removed endpoint gives its items up with one warn line and reason endpoint_removed", async () => {
  const { queue, lines, metrics } = setup({ send: () => REFUSED });
  await queue.start();
  await enqueue(queue, item(1), item(2));
  await until(() => queue.status().consecutive_failures >= 1);
  await queue.retire("endpoint_removed");
  await queue.shutdown();
  const gaveUp = lines.filter((l) => String(l.msg).startsWith("gave up"));
  assertEquals(pick(gaveUp, "level", "msg", "reason", "profiles", "bytes"), [
    {
      level: "warn",
      msg: "gave up 2 profiles (20 bytes) queued for e1",
      reason: "endpoint_removed",
      profiles: 2,
      bytes: 20,
    },
  ]);
  assert(
    /dropped_profiles_total\{[^}]*reason="endpoint_removed"[^}]*\} 2/.test(metrics.render()),
    metrics.render(),
  );
});

Deno.test("shutdown: what the drain cannot deliver is one warn line with the counts", async () => {
  const { queue, lines } = setup({ send: () => REFUSED });
  await queue.start();
  await enqueue(queue, item(1), item(2), item(3));
  await queue.shutdown();
  const gaveUp = lines.filter((l) => String(l.msg).startsWith("gave up"));
  assertEquals(pick(gaveUp, "level", "msg", "reason", "profiles", "last_error"), [
    {
      level: "warn",
      msg: "gave up 3 profiles (30 bytes) queued for e1",
      reason: "shutdown",
      profiles: 3,
      last_error: "connection refused",
    },
  ]);
});
