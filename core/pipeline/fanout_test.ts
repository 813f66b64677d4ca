import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import {
  BackpressureError,
  type Demand,
  demandOf,
  holdOnce,
  InvalidItemError,
  type Reservation,
  type SizedItem,
  TooLargeError,
} from "../admission.ts";
import type { Exporter, Processor } from "../component.ts";
import { type Item, type PushItem, withLabels } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { ReceiverPort, type Route } from "./fanout.ts";
import { PipelineMetrics } from "./metrics.ts";
import { Taps } from "./taps.ts";

const item: PushItem = {
  kind: "push",
  labels: LabelSet.from({ __name__: "process_cpu", service_name: "api" }),
  samples: [{ rawProfile: new Uint8Array([1, 2, 3]) }],
};

/** An exporter with a capacity in items, an optional gate on reserve, and a scripted error. */
class Recorder implements Exporter {
  readonly items: Item[] = [];
  capacity = Infinity;
  reserving = 0;
  #reserved = 0;
  gate: Promise<void> | undefined;
  error: Error | undefined;
  start = () => Promise.resolve();
  shutdown = () => Promise.resolve();
  set room(room: boolean) {
    this.capacity = room ? Infinity : 0;
  }
  check(demand: Demand): void {
    if (this.items.length + this.#reserved + demand.items > this.capacity) {
      throw new BackpressureError("recorder is full", 1);
    }
  }
  async reserve(items: readonly SizedItem[]): Promise<Reservation> {
    this.reserving++;
    await this.gate;
    if (this.error) throw this.error;
    this.check(demandOf(items));
    this.#reserved += items.length;
    return holdOnce(
      () => this.#reserved -= items.length,
      () => this.items.push(...items.map((one) => one.item)),
    );
  }
}

function processor(fn: (item: Item) => Item | null): Processor {
  return { start: () => Promise.resolve(), shutdown: () => Promise.resolve(), process: fn };
}

const setLabel = (name: string, value: string) =>
  processor((i) => withLabels(i, i.labels.with(name, value)));

function port(routes: Route[]) {
  const registry = new MetricsRegistry();
  const metrics = new PipelineMetrics(registry);
  return {
    port: new ReceiverPort("recv", routes, metrics, silentLogger(), new Taps()),
    metrics,
    registry,
  };
}

Deno.test("fanout: a change in one pipeline is never seen in another", async () => {
  const a = new Recorder();
  const b = new Recorder();
  const { port: p } = port([
    {
      pipeline: "one",
      processors: [{ id: "p1", processor: setLabel("env", "one") }],
      exporters: [{ id: "a", exporter: a }],
    },
    { pipeline: "two", processors: [], exporters: [{ id: "b", exporter: b }] },
  ]);
  await p.consume([item]);
  assertEquals(a.items[0]!.labels.get("env"), "one");
  assertEquals(b.items[0]!.labels.get("env"), undefined);
  assertEquals(item.labels.get("env"), undefined);
  // Payload bytes that own their buffer are shared, not copied.
  assert((a.items[0] as PushItem).samples[0]!.rawProfile === item.samples[0]!.rawProfile);
});

Deno.test("fanout: processors run in list order", async () => {
  const out = new Recorder();
  const { port: p } = port([{
    pipeline: "p",
    processors: [
      { id: "first", processor: setLabel("order", "first") },
      {
        id: "second",
        processor: processor((i) =>
          withLabels(i, i.labels.with("order", i.labels.get("order") + ",second"))
        ),
      },
    ],
    exporters: [{ id: "out", exporter: out }],
  }]);
  await p.consume([item]);
  assertEquals(out.items[0]!.labels.get("order"), "first,second");
});

Deno.test("fanout: a full exporter refuses the item for everyone; nothing is enqueued", async () => {
  const a = new Recorder();
  const b = new Recorder();
  b.room = false;
  const { port: p, metrics } = port([
    { pipeline: "one", processors: [], exporters: [{ id: "a", exporter: a }] },
    { pipeline: "two", processors: [], exporters: [{ id: "b", exporter: b }] },
  ]);
  const error = await assertRejects(
    () => p.consume([item]),
    BackpressureError,
    "exporter b: recorder is full",
  );
  assertEquals((error as BackpressureError).retryAfterSeconds, 1);
  assertEquals(a.items.length + b.items.length, 0);
  assertEquals(
    metrics.receiverRefusedProfiles.get({ component_id: "recv", reason: "queue_full" }),
    1,
  );
  b.room = true;
  await p.consume([item]);
  assertEquals([a.items.length, b.items.length], [1, 1]);
  assertEquals(metrics.receiverAcceptedProfiles.get({ component_id: "recv" }), 1);
  assertEquals(metrics.receiverAcceptedBytes.get({ component_id: "recv" }), 3);
});

Deno.test("fanout: a throwing processor drops the item for its pipeline only and is counted", async () => {
  const a = new Recorder();
  const b = new Recorder();
  const { port: p, metrics, registry } = port([
    {
      pipeline: "one",
      processors: [{
        id: "bad",
        processor: processor(() => {
          throw new Error("boom");
        }),
      }],
      exporters: [{ id: "a", exporter: a }],
    },
    {
      pipeline: "two",
      processors: [{ id: "drop", processor: processor(() => null) }],
      exporters: [{ id: "b", exporter: b }],
    },
    { pipeline: "three", processors: [], exporters: [{ id: "a", exporter: a }] },
  ]);
  await p.consume([item]);
  assertEquals([a.items.length, b.items.length], [1, 0]);
  assertEquals(
    metrics.processorDroppedProfiles.get({ component_id: "bad", reason: "processor_error" }),
    1,
  );
  assertEquals(
    metrics.processorDroppedProfiles.get({ component_id: "drop", reason: "filtered" }),
    1,
  );
  const text = registry.render();
  assert(
    text.includes(
      'profcol_processor_dropped_profiles_total{component_id="bad",reason="processor_error"} 1',
    ),
  );
});

Deno.test("fanout: exporters reserve concurrently; the request is queued once all reserved", async () => {
  const fast = new Recorder();
  const slow = new Recorder();
  const release = Promise.withResolvers<void>();
  slow.gate = release.promise;
  const { port: p } = port([{
    pipeline: "p",
    processors: [],
    exporters: [{ id: "slow", exporter: slow }, { id: "fast", exporter: fast }],
  }]);
  const done = p.consume([item]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  // Both reservations are under way; neither queue holds the item before both have room.
  assertEquals([fast.reserving, slow.reserving, fast.items.length, slow.items.length], [
    1,
    1,
    0,
    0,
  ]);
  release.resolve();
  await done;
  assertEquals([fast.items.length, slow.items.length], [1, 1]);
});

Deno.test("fanout: an exporter that fails to reserve refuses the request everywhere", async () => {
  const ok = new Recorder();
  const bad = new Recorder();
  bad.error = new Error("disk on fire");
  const { port: p, metrics } = port([{
    pipeline: "p",
    processors: [],
    exporters: [{ id: "bad", exporter: bad }, { id: "ok", exporter: ok }],
  }]);
  await assertRejects(() => p.consume([item]), Error, "disk on fire");
  assertEquals(ok.items.length, 0);
  assertEquals(
    metrics.exporterRefusedProfiles.get({ component_id: "bad", reason: "error" }),
    1,
  );
  assertEquals(metrics.exporterEnqueuedProfiles.get({ component_id: "ok" }), 0);
  assertEquals(
    metrics.receiverRefusedProfiles.get({ component_id: "recv", reason: "error" }),
    1,
  );

  // A permanent refusal wins over "full now", so the caller does not retry in vain.
  ok.room = false;
  bad.error = new InvalidItemError("bad labels", "invalid_labels");
  await assertRejects(() => p.consume([item]), InvalidItemError, "exporter bad: bad labels");
  assertEquals(
    metrics.exporterRefusedProfiles.get({ component_id: "bad", reason: "invalid_labels" }),
    1,
  );
  bad.error = new TooLargeError("never fits");
  await assertRejects(() => p.consume([item]), TooLargeError, "never fits");
  assertEquals(
    metrics.receiverRefusedProfiles.get({ component_id: "recv", reason: "too_large" }),
    1,
  );
});

Deno.test("fanout: a request fits whole or not at all, across exporters and pipelines", async () => {
  const roomy = new Recorder();
  const tight = new Recorder();
  tight.capacity = 3;
  const { port: p, metrics } = port([
    { pipeline: "one", processors: [], exporters: [{ id: "roomy", exporter: roomy }] },
    {
      pipeline: "two",
      processors: [{ id: "tag", processor: setLabel("pipeline", "two") }],
      exporters: [{ id: "tight", exporter: tight }],
    },
  ]);
  const request = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...item,
      labels: item.labels.with("n", String(i)),
    }));
  await p.consume(request(2));
  await assertRejects(() => p.consume(request(2)), BackpressureError);
  // Nothing of the refused request reached the exporter that had room.
  assertEquals(roomy.items.map((i) => i.labels.get("n")), ["0", "1"]);
  assertEquals(tight.items.map((i) => i.labels.toString()), [
    '{__name__="process_cpu", n="0", pipeline="two", service_name="api"}',
    '{__name__="process_cpu", n="1", pipeline="two", service_name="api"}',
  ]);
  assertEquals(
    metrics.exporterRefusedProfiles.get({ component_id: "tight", reason: "queue_full" }),
    2,
  );
  assertEquals(metrics.receiverAcceptedProfiles.get({ component_id: "recv" }), 2);
  await p.consume(request(1));
  assertEquals([roomy.items.length, tight.items.length], [3, 3]);
});

Deno.test("fanout: swap switches routes; items in flight finish on the old routes", async () => {
  const old = new Recorder();
  const next = new Recorder();
  const release = Promise.withResolvers<void>();
  old.gate = release.promise;
  const { port: p } = port([{
    pipeline: "p",
    processors: [],
    exporters: [{ id: "old", exporter: old }],
  }]);
  const inFlight = p.consume([item]);
  let drained = false;
  const drain = p.swap([{
    pipeline: "p",
    processors: [],
    exporters: [{ id: "next", exporter: next }],
  }])
    .then(() => drained = true);
  await p.consume([item]);
  assertEquals([old.items.length, next.items.length, drained], [0, 1, false]);
  release.resolve();
  await inFlight;
  await drain;
  assertEquals([old.items.length, drained], [1, true]);
});

Deno.test("fanout: an item no pipeline keeps is accepted (nothing to deliver)", async () => {
  const { port: p, metrics } = port([{
    pipeline: "p",
    processors: [{ id: "d", processor: processor(() => null) }],
    exporters: [],
  }]);
  await p.consume([item]);
  assertEquals(metrics.receiverAcceptedProfiles.get({ component_id: "recv" }), 1);
});

Deno.test("fanout: exporters get items that own their bytes, one copy per payload", async () => {
  // Two series decoded from one request body, as the Push decoder returns them: views.
  const body = new Uint8Array(64 * 1024).fill(9);
  const views: Item[] = [0, 1].map((n) => ({
    kind: "push",
    labels: LabelSet.from({ __name__: "process_cpu", n: String(n) }),
    samples: [{ rawProfile: body.subarray(n * 10, n * 10 + 8) }],
  }));
  const upload: Item = {
    kind: "ingest",
    labels: LabelSet.from({ __name__: "app" }),
    body: body.subarray(100, 116),
    contentType: ["application/octet-stream"],
    query: [["format", "pprof"]],
  };
  const a = new Recorder();
  const b = new Recorder();
  const { port: p } = port([
    {
      pipeline: "one",
      processors: [{ id: "p1", processor: setLabel("env", "one") }],
      exporters: [{ id: "a", exporter: a }],
    },
    { pipeline: "two", processors: [], exporters: [{ id: "b", exporter: b }] },
  ]);
  await p.consume([...views, upload]);
  const payloads = (items: Item[]) =>
    items.map((one) => one.kind === "push" ? one.samples[0]!.rawProfile : one.body);
  for (const kept of [...payloads(a.items), ...payloads(b.items)]) {
    assertEquals(kept.buffer.byteLength, kept.byteLength);
  }
  assertEquals(payloads(a.items), [
    new Uint8Array(8).fill(9),
    new Uint8Array(8).fill(9),
    new Uint8Array(16).fill(9),
  ]);
  // One copy per payload, shared by both pipelines' exporters.
  assert(payloads(a.items).every((bytes, i) => bytes === payloads(b.items)[i]));
  // An item that owns its bytes is handed on as it is.
  await p.consume([item]);
  assert(b.items.at(-1) === item);
});
