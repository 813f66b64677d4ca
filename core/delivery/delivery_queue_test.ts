import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import type { PushItem } from "../items.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { deliveryMetrics } from "./delivery_metrics.ts";
import { DeliveryQueue, type Parcel, type RetrySettings } from "./delivery_queue.ts";
import { BackpressureError, sized, TooLargeError } from "../admission.ts";
import type { QueuedItem } from "./item_codec.ts";
import { DELIVERED, type Outcome } from "./outcome.ts";
import { queueConfigSchema } from "./queue_config.ts";

function item(n: number, size = 10, tenant = ""): QueuedItem {
  const rawProfile = new Uint8Array(size).fill(n % 256);
  const labels = LabelSet.from({ service_name: "svc", n: String(n) });
  const push: PushItem = { kind: "push", labels, samples: [{ rawProfile }] };
  return { item: push, meta: tenant ? { tenant } : {} };
}
const nOf = (q: QueuedItem) => Number(q.item.labels.get("n"));
const parcel = (queued: QueuedItem): Parcel => ({ ...sized(queued.item), queued });
/** Reserves and commits `items` as one request. */
async function enqueue(queue: DeliveryQueue, ...items: QueuedItem[]): Promise<void> {
  (await queue.reserve(items.map(parcel))).commit();
}

interface Harness {
  queue: DeliveryQueue;
  metrics: MetricsRegistry;
  batches: number[][];
  value(name: string, labels?: Record<string, string>): number;
}

function harness(
  options: {
    queue?: Record<string, unknown>;
    retry?: Partial<RetrySettings>;
    spoolDirectory?: string;
    send?: (batch: readonly QueuedItem[], call: number) => Outcome | Promise<Outcome>;
    metrics?: MetricsRegistry;
  } = {},
): Harness {
  const metrics = options.metrics ?? new MetricsRegistry();
  const batches: number[][] = [];
  let calls = 0;
  const queue = new DeliveryQueue({
    componentId: "test",
    endpoint: "e1",
    config: queueConfigSchema.parse({ senders: 1, ...options.queue }),
    retry: { minBackoffMs: 5, maxBackoffMs: 20, maxAttempts: 10, ...options.retry },
    metrics: deliveryMetrics(metrics),
    logger: silentLogger(),
    spoolDirectory: options.spoolDirectory,
    batchKey: (q) => q.meta.tenant ?? "",
    send: (batch) => {
      batches.push(batch.map(nOf));
      return Promise.resolve(options.send ? options.send(batch, calls++) : DELIVERED);
    },
  });
  const value = (name: string, labels: Record<string, string> = {}) => {
    const text = metrics.render();
    let total = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
        total += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
    }
    return total;
  };
  return { queue, metrics, batches, value };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("delivery: consecutive items of one key share a request, within the limits", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const h = harness({
    queue: { batch_max_items: 3, batch_max_bytes: 1000 },
    send: async (_b, call) => {
      if (call === 0) await gate;
      return DELIVERED;
    },
  });
  await h.queue.start();
  await enqueue(h.queue, item(0));
  await until(() => h.batches.length === 1);
  for (let i = 1; i <= 4; i++) await enqueue(h.queue, item(i));
  await enqueue(h.queue, item(5, 10, "other"));
  await enqueue(h.queue, item(6));
  release();
  await until(() => h.value("profcol_exporter_sent_profiles_total") === 7);
  assertEquals(h.batches, [[0], [1, 2, 3], [4], [5], [6]]);
  await h.queue.shutdown();
  assertEquals(h.value("profcol_exporter_queue_profiles"), 0);
});

Deno.test("delivery: transient failures are retried with backoff, then delivered once", async () => {
  const h = harness({
    send: (_b, call) =>
      call < 2 ? { kind: "retry", reason: "http_503", message: "down" } : DELIVERED,
  });
  await h.queue.start();
  await enqueue(h.queue, item(1));
  await until(() => h.value("profcol_exporter_sent_profiles_total") === 1);
  assertEquals(h.batches, [[1], [1], [1]]);
  assertEquals(h.value("profcol_exporter_retries_total", { reason: "http_503" }), 2);
  await h.queue.shutdown();
});

Deno.test("delivery: max attempts reached drops with retries_exhausted (no spool)", async () => {
  const h = harness({
    retry: { maxAttempts: 3 },
    send: () => ({ kind: "retry", reason: "connect_error", message: "refused" }),
  });
  await h.queue.start();
  await enqueue(h.queue, item(1));
  await until(() => h.value("profcol_exporter_dropped_profiles_total") === 1);
  assertEquals(h.batches.length, 3, "N attempts, as Alloy's max_backoff_retries");
  assertEquals(
    h.value("profcol_exporter_dropped_profiles_total", { reason: "retries_exhausted" }),
    1,
  );
  await h.queue.shutdown();
});

Deno.test("delivery: a permanent refusal drops at once; a batch is split to find the bad item", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const h = harness({
    send: async (batch, call) => {
      if (call === 0) await gate;
      return batch.some((q) => nOf(q) === 2)
        ? { kind: "drop", reason: "http_400", message: "bad profile", splittable: true }
        : DELIVERED;
    },
  });
  await h.queue.start();
  await enqueue(h.queue, item(0));
  await until(() => h.batches.length === 1);
  for (let i = 1; i <= 3; i++) await enqueue(h.queue, item(i));
  release();
  await until(() =>
    h.value("profcol_exporter_sent_profiles_total") +
        h.value("profcol_exporter_dropped_profiles_total") === 4
  );
  assertEquals(h.batches, [[0], [1, 2, 3], [1], [2], [3]]);
  assertEquals(h.value("profcol_exporter_dropped_profiles_total", { reason: "http_400" }), 1);
  assertEquals(h.value("profcol_exporter_sent_profiles_total"), 3);
  await h.queue.shutdown();
});

Deno.test("delivery: Retry-After pauses the whole endpoint", async () => {
  const times: number[] = [];
  const h = harness({
    queue: { senders: 2 },
    send: (_b, call) => {
      times.push(Date.now());
      return call === 0
        ? { kind: "retry", reason: "http_429", message: "slow down", retryAfterMs: 300 }
        : DELIVERED;
    },
  });
  await h.queue.start();
  await enqueue(h.queue, item(1, 10, "a"));
  await until(() => times.length === 1);
  await enqueue(h.queue, item(2, 10, "b"));
  await until(() => h.value("profcol_exporter_sent_profiles_total") === 2);
  assert(times.length === 3);
  assert(times[1]! - times[0]! >= 290, `second sender waited ${times[1]! - times[0]!}ms`);
  assert(times[2]! - times[0]! >= 290, `retry waited ${times[2]! - times[0]!}ms`);
  await h.queue.shutdown();
});

Deno.test("delivery: without a spool a full queue refuses (backpressure) and oversize is an error", async () => {
  const h = harness({
    queue: { max_items: 2, max_bytes: 100, drain_timeout: "20ms" },
    send: () => ({ kind: "retry", reason: "connect_error", message: "down" }),
    retry: { minBackoffMs: 10_000, maxBackoffMs: 10_000 },
  });
  await h.queue.start();
  h.queue.check({ items: 2, bytes: 20 });
  await enqueue(h.queue, item(1));
  await enqueue(h.queue, item(2));
  assertThrows(
    () => h.queue.check({ items: 1, bytes: 10 }),
    BackpressureError,
    "the queue of e1 is full (2 items, 20 bytes held); retry later",
  );
  await assertRejects(
    () => enqueue(h.queue, item(3, 101)),
    TooLargeError,
    "101 bytes of profiles are more than queue.max_bytes (100) of e1",
  );
  await assertRejects(
    () => enqueue(h.queue, item(4), item(5), item(6)),
    TooLargeError,
    "3 items are more than queue.max_items (2) of e1",
  );
  await h.queue.shutdown();
});

Deno.test("delivery: reserved room counts as held until committed or released", async () => {
  const h = harness({
    queue: { max_items: 3, max_bytes: 100, drain_timeout: "20ms" },
    send: () => ({ kind: "retry", reason: "connect_error", message: "down" }),
    retry: { minBackoffMs: 10_000, maxBackoffMs: 10_000 },
  });
  await h.queue.start();
  const first = await h.queue.reserve([parcel(item(1)), parcel(item(2))]);
  await assertRejects(() => h.queue.reserve([parcel(item(3)), parcel(item(4))]), BackpressureError);
  await first.release();
  await first.release(); // safe twice
  const second = await h.queue.reserve([parcel(item(3)), parcel(item(4)), parcel(item(5))]);
  second.commit();
  second.commit(); // once only
  assertEquals(h.queue.size, 3);
  await assertRejects(() => enqueue(h.queue, item(6)), BackpressureError);
  await h.queue.shutdown();
});

Deno.test("delivery: shutdown drains what it can, then counts the rest as shutdown drops", async () => {
  let healthy = false;
  const h = harness({
    queue: { drain_timeout: "100ms" },
    send: () => healthy ? DELIVERED : { kind: "retry", reason: "connect_error", message: "down" },
    retry: { minBackoffMs: 1000, maxBackoffMs: 1000 },
  });
  await h.queue.start();
  await enqueue(h.queue, item(1));
  await enqueue(h.queue, item(2));
  await until(() => h.batches.length >= 1);
  const started = Date.now();
  await h.queue.shutdown();
  assert(Date.now() - started < 900, "the drain deadline cuts the backoff sleep");
  assertEquals(h.value("profcol_exporter_dropped_profiles_total", { reason: "shutdown" }), 2);
  healthy = true;

  const ok = harness();
  await ok.queue.start();
  await enqueue(ok.queue, item(1));
  await ok.queue.shutdown();
  assertEquals(ok.value("profcol_exporter_sent_profiles_total"), 1);
});

Deno.test("delivery: with a spool, reserve writes the files and release removes them", async () => {
  const dir = await Deno.makeTempDir();
  const spoolFiles = () => [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".pcq"));
  try {
    const send = (): Outcome => ({ kind: "retry", reason: "connect_error", message: "down" });
    const h = harness({ spoolDirectory: dir, send, queue: { spool: { directory: dir } } });
    await h.queue.start();
    const refused = await h.queue.reserve([parcel(item(1)), parcel(item(2))]);
    assertEquals(spoolFiles().length, 2, "on disk before the caller is answered");
    assertEquals(h.queue.size, 0, "not queued before commit");
    await refused.release();
    assertEquals(spoolFiles().length, 0);
    const accepted = await h.queue.reserve([parcel(item(3))]);
    accepted.commit();
    assertEquals(h.queue.size, 1);
    await h.queue.shutdown();
    assertEquals(spoolFiles().length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("delivery: the spool keeps items across a restart and delivers each once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let up = false;
    const delivered: number[] = [];
    const send = (batch: readonly QueuedItem[]): Outcome => {
      if (!up) return { kind: "retry", reason: "connect_error", message: "down" };
      delivered.push(...batch.map(nOf));
      return DELIVERED;
    };
    const first = harness({ spoolDirectory: dir, send, queue: { spool: { directory: dir } } });
    await first.queue.start();
    for (let i = 0; i < 20; i++) await enqueue(first.queue, item(i, 100));
    await until(() => first.batches.length >= 1);
    await first.queue.shutdown();
    assertEquals(first.value("profcol_exporter_dropped_profiles_total"), 0);
    const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".pcq"));
    assertEquals(files.length, 20);

    up = true;
    const second = harness({
      spoolDirectory: dir,
      send,
      queue: { spool: { directory: dir }, max_bytes: 300, batch_max_items: 4 },
    });
    await second.queue.start();
    await until(() => delivered.length >= 20);
    await second.queue.shutdown();
    assertEquals(delivered, Array.from({ length: 20 }, (_, i) => i));
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".pcq")).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("delivery: with a spool, used-up attempts requeue instead of dropping; a full spool drops oldest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const h = harness({
      spoolDirectory: dir,
      retry: { maxAttempts: 2, minBackoffMs: 1, maxBackoffMs: 2 },
      queue: { spool: { directory: dir, max_bytes: 1000 } },
      send: () => ({ kind: "retry", reason: "connect_error", message: "down" }),
    });
    await h.queue.start();
    for (let i = 0; i < 5; i++) await enqueue(h.queue, item(i, 300));
    // 5 × 300 bytes cannot all stay in a 1000-byte spool: the oldest are dropped to make room,
    // when an item is written and when a batch that used its attempts goes back to the tail
    // (entries in flight cannot be dropped, so the cap holds once they are back).
    await until(() =>
      h.batches.length >= 6 &&
      h.value("profcol_exporter_dropped_profiles_total", { reason: "spool_full" }) >= 2 &&
      h.value("profcol_exporter_spool_bytes") <= 1000
    );
    assertEquals(
      h.value("profcol_exporter_dropped_profiles_total", { reason: "retries_exhausted" }),
      0,
    );
    await h.queue.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("delivery: a second owner of a spool adopts old files only after the first released it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = harness({
      spoolDirectory: dir,
      queue: { spool: { directory: dir } },
      send: () => ({ kind: "retry", reason: "connect_error", message: "down" }),
    });
    await first.queue.start();
    await enqueue(first.queue, item(1));
    await until(() => first.batches.length >= 1);
    const second = harness({ spoolDirectory: dir, queue: { spool: { directory: dir } } });
    await second.queue.start();
    await enqueue(second.queue, item(2));
    await until(() => second.value("profcol_exporter_sent_profiles_total") === 1);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(second.batches, [[2]], "item 1 still belongs to the first owner");
    await first.queue.shutdown();
    await until(() => second.value("profcol_exporter_sent_profiles_total") === 2);
    assertEquals(second.batches, [[2], [1]]);
    await second.queue.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("delivery: a torn spool file is quarantined as *.corrupt, counted, and blocks nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const delivered: number[] = [];
    const send = (batch: readonly QueuedItem[]): Outcome => {
      delivered.push(...batch.map(nOf));
      return DELIVERED;
    };
    // Three good files, as a crashed collector leaves them (nothing delivered yet).
    const first = harness({
      spoolDirectory: dir,
      send: () => ({ kind: "retry", reason: "connect_error", message: "down" }),
      queue: { spool: { directory: dir } },
    });
    await first.queue.start();
    for (let i = 0; i < 3; i++) await enqueue(first.queue, item(i, 100));
    await first.queue.shutdown();
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".pcq"))
      .sort();
    assertEquals(names.length, 3);
    // Tear the oldest (a power loss without fsync): its payload is cut short.
    const torn = `${dir}/${names[0]}`;
    const bytes = Deno.readFileSync(torn);
    Deno.writeFileSync(torn, bytes.subarray(0, bytes.byteLength - 40));
    // And one with trailing garbage after a valid item.
    const padded = `${dir}/${names[2]}`;
    Deno.writeFileSync(padded, new Uint8Array([...Deno.readFileSync(padded), 1, 2, 3]));

    const second = harness({ spoolDirectory: dir, send, queue: { spool: { directory: dir } } });
    await second.queue.start();
    await until(() => second.value("profcol_exporter_dropped_profiles_total") === 2);
    await until(() => delivered.length === 1);
    await second.queue.shutdown();
    assertEquals(delivered, [1], "the intact file after the torn one is delivered");
    assertEquals(
      second.value("profcol_exporter_dropped_profiles_total", { reason: "spool_corrupt" }),
      2,
    );
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "LOCK").sort();
    assertEquals(left, [`${names[0]}.corrupt`, `${names[2]}.corrupt`], "moved aside, not deleted");
    assertEquals(second.value("profcol_exporter_queue_profiles"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
