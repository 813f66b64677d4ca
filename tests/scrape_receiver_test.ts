/**
 * The scraper end to end over real sockets on 127.0.0.1: loops per target and type,
 * client-side deltas (first profile primes only), labels and status, target relabeling with
 * `__meta_*`, down targets, backpressure, and loops kept across target-set changes. Every
 * case runs twice: scrapes on the main thread (`workers: 1`) and on a pool of two workers.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { BackpressureError, type Consumer } from "../core/component.ts";
import type { Item, PushItem } from "../core/items.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import type { ComponentSettings } from "../core/component.ts";
import { inlineRunner, type TaskRunner, WorkerPool } from "../core/workers/pool.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { decodeProfile, emptyProfile, encodeProfile } from "../pprof/profile.ts";
import { gunzipIfNeeded, gzip } from "../pprof/gzip.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";
import type { TargetStatus } from "../receivers/pyroscope_scrape/scrape_loop.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../pprof/testdata/${name}`, import.meta.url));
const allocs = [fixture("allocs_1.pb.gz"), fixture("allocs_2.pb.gz")];
const goroutine = fixture("goroutine.pb.gz");

/** A fake Go pprof server: allocs alternates between two cumulative fixtures. */
function pprofServer() {
  let allocCount = 0;
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    hits.push(url.pathname + url.search);
    const headers = { "content-type": "application/octet-stream" };
    if (url.pathname.endsWith("/allocs")) {
      return new Response(allocs[allocCount++ % 2], { headers });
    }
    if (url.pathname.endsWith("/goroutine")) return new Response(goroutine, { headers });
    // godeltaprof serves deltas already; any profile stands in for one here.
    if (url.pathname.endsWith("/delta_heap")) return new Response(allocs[0], { headers });
    return new Response("not found", { status: 404 });
  });
  return { address: `127.0.0.1:${server.addr.port}`, server, hits };
}

const fast = (extra: Record<string, unknown>) =>
  scrapeConfigSchema.parse({
    scrape_interval: "100ms",
    scrape_timeout: "2s",
    profiling_config: {
      "profile.process_cpu": { enabled: false },
      "profile.block": { enabled: false },
      "profile.mutex": { enabled: false },
    },
    ...extra,
  });

/** Where the current test's scrapes run: the main thread, or a pool of two workers. */
let runner: TaskRunner = inlineRunner;

/** Registers `fn` twice: scrapes on the main thread (`workers: 1`) and on two workers. */
function scrapeTest(name: string, fn: () => Promise<void>): void {
  for (const workers of [1, 2]) {
    Deno.test(`${name} (workers: ${workers})`, async () => {
      const pool = workers > 1 ? new WorkerPool(workers) : undefined;
      runner = pool ?? inlineRunner;
      try {
        await fn();
      } finally {
        pool?.close();
        runner = inlineRunner;
      }
    });
  }
}

/** `testSettings` whose host hands out the current test's runner. */
function scrapeSettings(id: string, overrides: Partial<ComponentSettings> = {}) {
  const settings = testSettings(id, overrides);
  return { ...settings, host: { ...settings.host, workers: () => runner } };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

scrapeTest(
  "scrape: godeltaprof_memory goes out as Alloy sends it, named so, no __delta__",
  async () => {
    const peer = pprofServer();
    const sink = new RecordingConsumer();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape/deltaprof", { version: "9.9.9" }),
      fast({
        targets: [{ __address__: peer.address, service_name: "app" }],
        profiling_config: {
          "profile.process_cpu": { enabled: false },
          "profile.memory": { enabled: false },
          "profile.goroutine": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
          "profile.godeltaprof_memory": { enabled: true },
        },
      }),
      sink,
    );
    try {
      await receiver.start();
      await until(() => sink.items.length >= 1, "a godeltaprof profile");
      assertEquals(sink.items[0]!.labels.toRecord(), {
        __address__: peer.address,
        __name__: "godeltaprof_memory",
        __profile_path__: "/debug/pprof/delta_heap",
        __scheme__: "http",
        instance: peer.address,
        job: "pyroscope.scrape.deltaprof",
        "otel.scope.name": "profcol/pyroscope.scrape",
        "otel.scope.version": "9.9.9",
        service_name: "app",
      });
      // Forwarded as served: the first scrape is not held back to prime a client-side delta.
      assertEquals((sink.items[0] as PushItem).samples[0]!.rawProfile, allocs[0]);
    } finally {
      await receiver.shutdown();
      await peer.server.shutdown();
    }
  },
);

scrapeTest("scrape: memory deltas skip the first profile; labels, status and metrics", async () => {
  const peer = pprofServer();
  const sink = new RecordingConsumer();
  let status: () => unknown = () => [];
  const metrics = new MetricsRegistry();
  const settings = scrapeSettings("pyroscope.scrape/app", {
    metrics,
    version: "9.9.9",
    host: {
      registerStatus: (name, provider) => {
        if (name === "targets") status = provider;
        return () => {};
      },
    },
  });
  const receiver = new ScrapeReceiver(
    settings,
    fast({ targets: [{ __address__: peer.address, env: "test", __meta_x: "hidden" }] }),
    sink,
  );
  try {
    await receiver.start();
    assertEquals(receiver.loops.length, 2);
    await until(
      () => sink.items.filter((i) => i.labels.get("__name__") === "memory").length >= 2,
      "two memory deltas",
    );
    const mem = sink.items.filter((i) => i.labels.get("__name__") === "memory") as PushItem[];
    const memScrapes = peer.hits.filter((h) => h.endsWith("/allocs")).length;
    assert(memScrapes >= mem.length + 1, "the first memory scrape was not forwarded");
    assertEquals(mem[0]!.labels.toRecord(), {
      __address__: peer.address,
      __delta__: "false",
      __meta_x: "hidden",
      __name__: "memory",
      __profile_path__: "/debug/pprof/allocs",
      __scheme__: "http",
      env: "test",
      instance: peer.address,
      job: "pyroscope.scrape.app",
      "otel.scope.name": "profcol/pyroscope.scrape",
      "otel.scope.version": "9.9.9",
      service_name: "unspecified",
    });
    const delta = decodeProfile(gunzipIfNeeded(mem[0]!.samples[0]!.rawProfile, 1 << 28));
    assert(delta.durationNanos > 0, "duration_nanos is set on deltas");
    await until(
      () => sink.items.some((i) => i.labels.get("__name__") === "goroutine"),
      "goroutine",
    );
    const g = sink.items.find((i) => i.labels.get("__name__") === "goroutine") as PushItem;
    assertEquals(g.labels.has("__delta__"), false);
    assertEquals(g.samples[0]!.rawProfile, goroutine);

    const entries = status() as TargetStatus[];
    const memStatus = entries.find((e) => e.profile_type === "memory")!;
    assertEquals(memStatus.health, "up");
    assertEquals(memStatus.url, `http://${peer.address}/debug/pprof/allocs`);
    assertEquals(memStatus.discovered_labels.__meta_x, "hidden");
    assertEquals(memStatus.labels.__meta_x, "hidden"); // forwarded; exporters drop it
    assert(memStatus.delta_state_bytes > 0 && receiver.deltaStateBytes() > 0);
    const all = metrics.render();
    assert(
      all.includes(
        'profcol_scrape_targets_up{component_id="pyroscope.scrape/app",job="pyroscope.scrape.app"} 2',
      ),
      all,
    );
    assert(
      /profcol_delta_state_bytes\{component_id="pyroscope.scrape\/app"\} [1-9]/.test(all),
    );
    assert(
      all.includes(
        'profcol_scrape_service_name_fallbacks_total{component_id="pyroscope.scrape/app"} 2',
      ),
    );
  } finally {
    await receiver.shutdown();
    await peer.server.shutdown();
  }
});

scrapeTest(
  "scrape: a failing target is down with an error naming URL and type; others keep going",
  async () => {
    const peer = pprofServer();
    const sink = new RecordingConsumer();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape"),
      fast({
        targets: [{ __address__: peer.address, service_name: "ok" }],
        profiling_config: {
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
          "profile.memory": { enabled: false },
          "profile.custom": { missing: { enabled: true, path: "/nope" } },
        },
      }),
      sink,
    );
    try {
      await receiver.start();
      await until(() => receiver.status().every((s) => s.health !== "unknown"), "both scraped");
      const missing = receiver.status().find((s) => s.profile_type === "missing")!;
      assertEquals(missing.health, "down");
      assert(missing.last_error.includes(`http://${peer.address}/nope`), missing.last_error);
      assert(missing.last_error.includes("missing profile") && missing.last_error.includes("404"));
      assertEquals(receiver.status().find((s) => s.profile_type === "goroutine")!.health, "up");
    } finally {
      await receiver.shutdown();
      await peer.server.shutdown();
    }
  },
);

scrapeTest(
  "scrape: backpressure drops the profile, counts it, and keeps the target up",
  async () => {
    const peer = pprofServer();
    let refused = 0;
    const full: Consumer = {
      consume(_items: readonly Item[]) {
        refused++;
        return Promise.reject(new BackpressureError("queue full", 1));
      },
      check() {},
    };
    const metrics = new MetricsRegistry();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape", { metrics }),
      fast({
        targets: [{ __address__: peer.address }],
        profiling_config: {
          "profile.memory": { enabled: false },
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
        },
      }),
      full,
    );
    try {
      await receiver.start();
      await until(
        () => refused >= 1 && receiver.status()[0]!.health !== "unknown",
        "a refused push",
      );
      const s = receiver.status()[0]!;
      assertEquals(s.health, "up");
      assert(s.last_error.includes("downstream is full"));
      assert(
        metrics.counter("profcol_scrape_errors_total", "", ["component_id", "reason"]).get({
          component_id: "pyroscope.scrape",
          reason: "backpressure",
        }) >= 1,
      );
    } finally {
      await receiver.shutdown();
      await peer.server.shutdown();
    }
  },
);

scrapeTest(
  "scrape: target relabeling sees __meta_*, can drop targets, and rewrites labels",
  async () => {
    const sink = new RecordingConsumer();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape"),
      fast({
        targets: [
          {
            __address__: "127.0.0.1:9",
            __meta_kubernetes_namespace: "shop",
            __meta_kubernetes_pod_container_name: "api",
          },
          { __address__: "127.0.0.1:9", __meta_kubernetes_namespace: "kube-system" },
        ],
        scrape_interval: "1h",
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_namespace"], regex: "kube-.*", action: "drop" },
          { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        ],
      }),
      sink,
    );
    try {
      await receiver.start();
      const loops = receiver.status();
      assertEquals(loops.length, 2); // memory + goroutine of the one kept target
      assertEquals(loops[0]!.labels.namespace, "shop");
      assertEquals(loops[0]!.labels.service_name, "shop/api");
      assertEquals(loops[0]!.discovered_labels.namespace, undefined);
    } finally {
      await receiver.shutdown();
    }
  },
);

scrapeTest(
  "scrape: one scrape in flight per loop; missed ticks are skipped and counted",
  async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 250));
      inFlight--;
      return new Response(goroutine, { headers: { "content-type": "application/octet-stream" } });
    });
    const metrics = new MetricsRegistry();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape", { metrics }),
      fast({
        targets: [{ __address__: `127.0.0.1:${server.addr.port}` }],
        profiling_config: {
          "profile.memory": { enabled: false },
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
        },
      }),
      new RecordingConsumer(),
    );
    try {
      await receiver.start();
      // One scrape completed (the server holds each for 250 ms) while ticks kept coming.
      await until(
        () => receiver.loops[0]!.scrapes >= 1 && receiver.loops[0]!.missedTicks >= 2,
        "missed ticks",
      );
      assertEquals(maxInFlight, 1);
      assert(
        metrics.render().includes(
          'profcol_scrape_missed_ticks_total{component_id="pyroscope.scrape"}',
        ),
      );
    } finally {
      await receiver.shutdown();
      await server.shutdown();
    }
  },
);

/** A cumulative allocs profile with two stacks (locations 1 and 2). */
function syntheticAllocs(values: [number, number][], timeNanos: number): Uint8Array {
  const p = emptyProfile();
  p.stringTable = ["", "alloc_objects", "count", "alloc_space", "bytes", "inuse_space"];
  p.sampleType = [{ type: 1, unit: 2 }, { type: 3, unit: 4 }, { type: 5, unit: 4 }];
  p.location = [1, 2].map((id) => ({
    id,
    mappingId: 0,
    address: 0x1000 * id,
    line: [],
    isFolded: false,
  }));
  p.sample = values.map(([objects, bytes], i) => ({
    locationId: [i + 1],
    value: [objects, bytes, i === 0 ? 7 : 0],
    label: [],
  }));
  p.timeNanos = timeNanos;
  return gzip(encodeProfile(p));
}

scrapeTest(
  "scrape: delta arithmetic on synthetic profiles (current − previous, zero rows dropped)",
  async () => {
    const bodies = [
      syntheticAllocs([[10, 1000], [5, 500]], 1_000_000_000),
      syntheticAllocs([[14, 1400], [5, 500]], 3_000_000_000),
    ];
    let n = 0;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () =>
        new Response(bodies[Math.min(n++, 1)] as Uint8Array<ArrayBuffer>, {
          headers: { "content-type": "application/octet-stream" },
        }),
    );
    const sink = new RecordingConsumer();
    const receiver = new ScrapeReceiver(
      scrapeSettings("pyroscope.scrape"),
      fast({
        targets: [{ __address__: `127.0.0.1:${server.addr.port}` }],
        profiling_config: {
          "profile.goroutine": { enabled: false },
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
        },
      }),
      sink,
    );
    try {
      await receiver.start();
      await until(() => sink.items.length >= 1, "one delta");
    } finally {
      await receiver.shutdown();
      await server.shutdown();
    }
    const delta = decodeProfile(
      gunzipIfNeeded((sink.items[0] as PushItem).samples[0]!.rawProfile, 1 << 20),
    );
    assertEquals(delta.sample.length, 1, "the unchanged stack is left out");
    assertEquals(
      delta.sample[0]!.value,
      [4, 400, 7],
      "alloc_* are differences, inuse_space passes as is",
    );
    assertEquals(delta.durationNanos, 2_000_000_000);
  },
);
