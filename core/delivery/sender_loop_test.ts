import { until } from "../../tests/support/in_process.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import type { PushItem } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { deliveryMetrics } from "./delivery_metrics.ts";
import { EndpointHealth } from "./endpoint_health.ts";
import { type Entry, EntryStore } from "./entry_store.ts";
import type { QueuedItem } from "./item_codec.ts";
import { DELIVERED, type Outcome } from "./outcome.ts";
import { type RetrySettings, type SenderHost, SenderLoop } from "./sender_loop.ts";

function queued(n: number, key: string): QueuedItem {
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ n: String(n) }),
    samples: [{ rawProfile: new Uint8Array(10) }],
  };
  return { item, meta: { key } };
}
const nOf = (q: QueuedItem) => Number(q.item.labels.get("n"));

interface Run {
  loop: SenderLoop;
  store: EntryStore;
  sent: number[][];
  finished: { n: number[]; how: string; reason?: string }[];
  handedOn: number[][];
  retired: { value: boolean };
}

function run(
  send: (batch: readonly QueuedItem[], call: number) => Outcome,
  options: { retry?: Partial<RetrySettings>; batchItems?: number } = {},
): Run {
  const store = new EntryStore(undefined, 1 << 20, { counted() {}, arrived: () => loop.wakeOne() });
  const sent: number[][] = [];
  const finished: Run["finished"] = [];
  const handedOn: number[][] = [];
  const retired = { value: false };
  const ns = (entries: readonly Entry[]) => entries.map((e) => nOf(e.queued!));
  let calls = 0;
  const host: SenderHost = {
    endpoint: "e1",
    labels: { component_id: "test", endpoint: "e1" },
    store,
    retry: { minBackoffMs: 5, maxBackoffMs: 10, maxAttempts: 3, ...options.retry },
    batch: { batch_max_items: options.batchItems ?? 3, batch_max_bytes: 1 << 20 },
    metrics: deliveryMetrics(new MetricsRegistry()),
    health: new EndpointHealth("e1", silentLogger(), Date.now),
    logger: silentLogger(),
    batchKey: (q) => q.meta.key || undefined,
    send: (batch) => {
      sent.push(batch.map(nOf));
      return Promise.resolve(send(batch, calls++));
    },
    running: () => true,
    retired: () => retired.value,
    finish: (entries, how, reason) => {
      finished.push({ n: ns(entries), how, ...(reason ? { reason } : {}) });
      for (const entry of entries) store.finish(entry);
    },
    handOn: (batch) => handedOn.push(ns(batch)),
    requeued: () => {},
    damaged: () => Promise.resolve(),
  };
  const loop = new SenderLoop(host);
  return { loop, store, sent, finished, handedOn, retired };
}

function add(r: Run, ...items: QueuedItem[]): void {
  for (const item of items) r.store.push(r.store.entryFor(item, 10, 1));
}

Deno.test("sender loop: batches consecutive items of one key within batch_max_items", async () => {
  const r = run(() => DELIVERED);
  add(r, queued(1, "a"), queued(2, "a"), queued(3, "a"), queued(4, "a"), queued(5, "b"));
  add(r, queued(6, ""), queued(7, ""));
  r.loop.start(1);
  await until(() => r.finished.length === 5);
  // Key "" means "alone"; a different key ends a batch.
  assertEquals(r.sent, [[1, 2, 3], [4], [5], [6], [7]]);
  r.loop.stop(true);
  await r.loop.done();
});

Deno.test("sender loop: retries with backoff, then drops as retries_exhausted", async () => {
  const r = run(() => ({ kind: "retry", reason: "http_503", message: "down" }));
  add(r, queued(1, "a"));
  r.loop.start(1);
  await until(() => r.finished.length === 1);
  assertEquals(r.sent, [[1], [1], [1]]);
  assertEquals(r.finished, [{ n: [1], how: "dropped", reason: "retries_exhausted" }]);
  r.loop.stop(true);
  await r.loop.done();
});

Deno.test("sender loop: a splittable drop retries the items one by one", async () => {
  const r = run((batch) =>
    batch.length > 1 || nOf(batch[0]!) === 2
      ? { kind: "drop", reason: "http_400", message: "bad", splittable: true }
      : DELIVERED
  );
  add(r, queued(1, "a"), queued(2, "a"), queued(3, "a"));
  r.loop.start(1);
  await until(() => r.finished.length === 3);
  assertEquals(r.finished.map((f) => [f.n[0], f.how]), [[1, "sent"], [2, "dropped"], [3, "sent"]]);
  r.loop.stop(true);
  await r.loop.done();
});

Deno.test("sender loop: Retry-After pauses the whole endpoint, not just the batch", async () => {
  const r = run((_batch, call) =>
    call === 0
      ? { kind: "retry", reason: "http_429", message: "slow", retryAfterMs: 200 }
      : DELIVERED
  );
  add(r, queued(1, ""));
  r.loop.start(2);
  await until(() => r.sent.length === 1);
  assert(r.loop.pausedUntil > Date.now() + 100, "paused about 200 ms");
  // A second sender is idle, but must not send while the endpoint is paused.
  add(r, queued(2, ""));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assertEquals(r.sent, [[1]]);
  await until(() => r.finished.length === 2);
  r.loop.stop(true);
  await r.loop.done();
});

Deno.test("sender loop: a retired queue hands a failing batch on instead of retrying", async () => {
  const r = run(() => ({ kind: "retry", reason: "connect_error", message: "down" }), {
    retry: { minBackoffMs: 600_000, maxBackoffMs: 600_000, maxAttempts: 0 },
  });
  add(r, queued(1, "a"), queued(2, "a"));
  r.loop.start(1);
  await until(() => r.sent.length === 1);
  r.retired.value = true;
  r.loop.retire(); // ends the 10-minute backoff sleep at once
  await until(() => r.handedOn.length === 1);
  await r.loop.done();
  assertEquals([r.handedOn, r.finished], [[[1, 2]], []]);
});
