import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { testFactories, type TestReceiver } from "../tests/support/test_factories.ts";
import { LabelSet } from "../core/labels.ts";
import type { IngestItem, PushItem } from "../core/items.ts";
import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { gunzip, gzip } from "../pprof/gzip.ts";
import { decodeProfile, emptyProfile, encodeProfile } from "../pprof/profile.ts";
import { stringAt } from "../tests/support/pprof_strings.ts";
import { cpuProfileToPprof, heapProfileToPprof } from "../pprof/v8.ts";
import { flameTree } from "./flame_tree.ts";
import {
  renderComponentPage,
  renderGraphPage,
  renderLivePage,
  renderTargetsPage,
} from "./pages.ts";
import { ProfileStore, seriesId } from "./profile_store.ts";
import { renderDiffPage, renderFlamePage, renderSeriesPage } from "./series_pages.ts";
import { ConsoleState, MAX_PENDING_REQUESTS } from "./console_state.ts";
import { Taps } from "../core/pipeline/taps.ts";

const EVIL = "<img src=x onerror=alert(1)>";
const EVIL_TEXT = "&lt;img src=x onerror=alert(1)&gt;";

function assertEscaped(html: string, what: string) {
  assert(!html.includes("<img"), `${what}: a raw <img> tag`);
  assert(
    !/<script>(?!<)/.test(
      html.replace(/<script src="\/console\/console\.js" defer><\/script>/, ""),
    ),
    `${what}: an inline script`,
  );
  assertStringIncludes(html, EVIL_TEXT, what);
}

/** A pprof with stacks main→a→b (b inlined into a's location) and main→c. */
function sampleProfile(): Uint8Array {
  const p = emptyProfile();
  p.stringTable.push("cpu", "nanoseconds", "samples", "count", "main", "a", "b", "c", EVIL);
  p.sampleType.push({ type: 3, unit: 4 }, { type: 1, unit: 2 });
  const fn = (id: number, name: number) => ({
    id,
    name,
    systemName: name,
    filename: 0,
    startLine: 0,
  });
  p.function.push(fn(1, 5), fn(2, 6), fn(3, 7), fn(4, 8), fn(5, 9));
  const loc = (id: number, ...functionIds: number[]) => ({
    id,
    mappingId: 0,
    address: 0,
    line: functionIds.map((functionId) => ({ functionId, line: 1, column: 0 })),
    isFolded: false,
  });
  // Location 2 holds b inlined into a: line[0] is b (innermost), the last line a (caller).
  p.location.push(loc(1, 1), loc(2, 3, 2), loc(3, 4), loc(4, 5));
  p.sample.push(
    { locationId: [2, 1], value: [3, 30], label: [] },
    { locationId: [1], value: [1, 10], label: [] },
    { locationId: [3, 1], value: [2, 20], label: [] },
    { locationId: [4, 1], value: [0, 0], label: [] },
  );
  return gzip(encodeProfile(p));
}

Deno.test("flameTree: pre-order nodes, inline frames root-most first, self and total", () => {
  const tree = flameTree(sampleProfile());
  assertEquals(tree.sample_types, ["samples/count", "cpu/nanoseconds"]);
  assertEquals([tree.sample_type, tree.unit], [1, "nanoseconds"]);
  const rows = tree.name.map((
    n,
    i,
  ) => [tree.names[n], tree.parent[i], tree.self[i], tree.total[i]]);
  assertEquals(rows, [
    ["total", -1, 0, 60],
    ["main", 0, 10, 60],
    ["a", 1, 0, 30],
    ["b", 2, 30, 30],
    ["c", 1, 20, 20],
  ]);
  const counts = flameTree(sampleProfile(), { sampleType: 0 });
  assertEquals(counts.total[0], 6);
  // Small nodes are left out but still count in their parent.
  const pruned = flameTree(sampleProfile(), { minFraction: 0.4 });
  assertEquals(pruned.name.map((n) => pruned.names[n]), ["total", "main", "a", "b"]);
  assertEquals(pruned.hidden, 1);
});

Deno.test("flameTree: anonymous functions are told apart by file and line", () => {
  const p = emptyProfile();
  p.stringTable.push("samples", "count", "(anonymous)", "file:///app/a.ts", "file:///app/b.ts");
  p.sampleType.push({ type: 1, unit: 2 });
  p.function.push(
    { id: 1, name: 3, systemName: 3, filename: 4, startLine: 7 },
    { id: 2, name: 0, systemName: 0, filename: 5, startLine: 9 },
  );
  p.location.push(
    {
      id: 1,
      mappingId: 0,
      address: 0,
      line: [{ functionId: 1, line: 8, column: 0 }],
      isFolded: false,
    },
    {
      id: 2,
      mappingId: 0,
      address: 0,
      line: [{ functionId: 2, line: 0, column: 0 }],
      isFolded: false,
    },
  );
  p.sample.push({ locationId: [1], value: [1], label: [] }, {
    locationId: [2],
    value: [1],
    label: [],
  });
  const tree = flameTree(encodeProfile(p));
  assertEquals(tree.name.map((n) => tree.names[n]), [
    "total",
    "(anonymous) a.ts:8",
    "(anonymous) b.ts:9",
  ]);
});

Deno.test("ProfileStore: a ring per series, a memory cap over all, ingest only as pprof", () => {
  const store = new ProfileStore(100, 2);
  const push = (name: string, size: number): PushItem => ({
    kind: "push",
    labels: LabelSet.from({ __name__: name }),
    samples: [{ rawProfile: new Uint8Array(size) }],
  });
  store.record("r", [push("cpu", 10)], 1);
  store.record("r", [push("cpu", 11)], 2);
  store.record("r", [push("cpu", 12)], 3);
  const cpu = seriesId("r", { __name__: "cpu" });
  assertEquals(store.get(cpu)!.profiles.map((p) => p.bytes.byteLength), [11, 12]);
  assertEquals(store.bytes, 23);
  store.record("r", [push("mem", 60)], 4);
  store.record("r", [push("mem", 25)], 5); // 23 + 85 > 100: the oldest (cpu 11) goes
  assertEquals(store.get(cpu)!.profiles.map((p) => p.at), [3]);
  assertEquals(store.bytes, 108 - 11);
  store.record("r", [push("big", 101)], 6); // larger than the cap: not kept
  assertEquals(store.has(seriesId("r", { __name__: "big" })), false);
  const ingest = (format: string, contentType: string): IngestItem => ({
    kind: "ingest",
    labels: LabelSet.from({ __name__: `app-${format}` }),
    body: new Uint8Array(5),
    contentType: [contentType],
    query: [["format", format]],
  });
  store.record("h", [ingest("pprof", "application/octet-stream"), ingest("folded", "text/plain")]);
  store.record("h", [{
    ...ingest("pprof", "multipart/form-data; boundary=x"),
    labels: LabelSet.from({ a: "b" }),
  }]);
  assertEquals(store.list().filter((s) => s.component_id === "h").map((s) => s.labels), [
    { __name__: "app-pprof" },
  ]);
  store.resize(0);
  assertEquals([store.list().length, store.bytes], [0, 0]);
});

Deno.test("ProfileStore: a steady series under the cap keeps its last profiles only", () => {
  // 16 MiB of room and a scrape that never fills it: dropped profiles must not stay referenced.
  const store = new ProfileStore(16 * 1024 * 1024, 4);
  const labels = LabelSet.from({ __name__: "cpu", service_name: "steady" });
  for (let i = 0; i < 10_000; i++) {
    store.record("r", [{ kind: "push", labels, samples: [{ rawProfile: new Uint8Array(100) }] }]);
  }
  assertEquals([store.bytes, store.list().length, store.referenced], [400, 1, 4]);
});

Deno.test("ProfileStore: profiles evicted for the cap are unreferenced at once", () => {
  // 5 series of 1 KiB profiles in a 4 KiB ring: each new profile evicts the oldest one.
  const store = new ProfileStore(4 * 1024, 4);
  for (let i = 0; i < 2_000; i++) {
    const labels = LabelSet.from({ __name__: "cpu", service_name: `svc${i % 5}` });
    store.record("r", [{ kind: "push", labels, samples: [{ rawProfile: new Uint8Array(1024) }] }]);
  }
  assertEquals([store.bytes, store.referenced, store.list().length], [4 * 1024, 4, 4]);
});

Deno.test("ProfileStore: a profile that is a view into a larger buffer is kept as its own bytes", () => {
  const store = new ProfileStore(1024, 4);
  const body = new Uint8Array(64 * 1024).fill(7);
  const labels = LabelSet.from({ __name__: "cpu" });
  store.record("r", [{ kind: "push", labels, samples: [{ rawProfile: body.subarray(10, 20) }] }]);
  const kept = store.get(seriesId("r", labels))!.profiles[0]!.bytes;
  assertEquals([kept.byteLength, kept.buffer.byteLength, store.bytes], [10, 10, 10]);
  assertEquals(kept, new Uint8Array(10).fill(7));
});

Deno.test("ConsoleState: accepted requests are recorded one timer turn later, as copies, bounded", async () => {
  const taps = new Taps();
  let memory = 1024;
  const state = new ConsoleState(taps, () => memory);
  const body = new Uint8Array(64 * 1024).fill(7);
  const labels = LabelSet.from({ __name__: "cpu" });
  const request = (n: number): PushItem[] => [{
    kind: "push",
    labels,
    samples: [{ rawProfile: body.subarray(n, n + 10) }],
  }];
  for (let n = 0; n < MAX_PENDING_REQUESTS + 6; n++) taps.accepted("r", request(n));
  // Nothing was copied on the request path; what did not fit the queue is counted.
  assertEquals([state.pending, state.skipped], [MAX_PENDING_REQUESTS, 6]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(state.pending, 0);
  const kept = state.store.get(seriesId("r", labels))!.profiles;
  assertEquals(
    kept.map((p) => [p.bytes.byteLength, p.bytes.buffer.byteLength]),
    Array.from({ length: MAX_PENDING_REQUESTS }, () => [10, 10]),
  );
  // profiles_memory 0 keeps nothing and queues nothing; reading records what is pending.
  memory = 0;
  taps.accepted("r", request(1));
  assertEquals([state.pending, state.store.bytes], [0, 0]);
  memory = 1024;
  taps.accepted("r", request(2));
  assertEquals(state.store.bytes, 10);
  state.close();
  taps.accepted("r", request(3));
  assertEquals(state.pending, 0);
});

Deno.test("targets page: a discovery that fails (401/403) is shown with its error", () => {
  const page = renderTargetsPage([], [{
    component: "pyroscope.scrape/k8s",
    mechanism: "kubernetes_sd",
    role: "pod",
    apiServer: "https://127.0.0.1:6443",
    health: "down",
    lastError: "Listing pods at https://127.0.0.1:6443/api/v1/pods failed: HTTP 403 Forbidden",
    targets: 0,
  }]);
  assertStringIncludes(
    page,
    "<tr><td>pyroscope.scrape/k8s</td><td>kubernetes_sd (pod)</td><td>https://127.0.0.1:6443</td>" +
      '<td><span class="badge health-down">down</span></td><td>0</td>' +
      "<td>Listing pods at https://127.0.0.1:6443/api/v1/pods failed: HTTP 403 Forbidden</td></tr>",
  );
  assertEquals(renderTargetsPage([]).includes("<h2>Discovery</h2>"), false);
});

Deno.test("V8 converters: CPU and heap profiles become pprof with frames and values", () => {
  const frame = (functionName: string, lineNumber: number) => ({
    functionName,
    url: "file:///app/x.ts",
    lineNumber,
    columnNumber: 4,
  });
  const cpu = decodeProfile(gunzip(
    gzip(cpuProfileToPprof({
      nodes: [
        { id: 1, callFrame: frame("(root)", -1), children: [2, 4] },
        { id: 2, callFrame: frame("outer", 9), children: [3] },
        { id: 3, callFrame: frame("", 19) },
        { id: 4, callFrame: frame("(idle)", -1) },
      ],
      startTime: 1000,
      endTime: 31000,
      samples: [3, 3, 2, 4],
      timeDeltas: [10, 10_000, 5_000, 10_000],
    }, { startedAtMs: 1_700_000_000_000, intervalMicros: 10_000 })),
    { maxBytes: 1 << 20 },
  ));
  const s = (i: number) => stringAt(cpu, i, "x");
  assertEquals(cpu.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`), [
    "samples/count",
    "cpu/nanoseconds",
  ]);
  const stacks = cpu.sample.map((sample) => [
    sample.locationId.map((id) => {
      const line = cpu.location.find((l) => l.id === id)!.line[0]!;
      const fn = cpu.function.find((f) => f.id === line.functionId)!;
      return `${s(fn.name)} ${s(fn.filename)}:${line.line}`;
    }).join(" < "),
    ...sample.value,
  ]);
  assertEquals(stacks, [
    ["(anonymous) file:///app/x.ts:20 < outer file:///app/x.ts:10", 2, 10_010_000],
    ["outer file:///app/x.ts:10", 1, 5_000_000],
  ]);
  assertEquals([cpu.timeNanos, cpu.durationNanos, cpu.period], [1_700_000_000_000e6, 30e6, 10e6]);

  const heap = decodeProfile(heapProfileToPprof({
    head: {
      callFrame: frame("(root)", -1),
      selfSize: 0,
      id: 1,
      children: [{
        callFrame: frame("alloc", 2),
        selfSize: 2048,
        id: 2,
        children: [],
      }],
    },
    samples: [{ size: 512, nodeId: 2 }, { size: 512, nodeId: 2 }],
  }, { nowMs: 5, samplingIntervalBytes: 1024 }));
  assertEquals(heap.sample.map((x) => x.value), [[4, 2048]]);
  assertEquals(stringAt(heap, heap.sampleType[1]!.type, "t"), "inuse_space");
});

Deno.test("console pages escape every label, id, error and config string", () => {
  const view = {
    id: `test.receiver/${EVIL}`,
    kind: "receiver",
    type: "test.receiver",
    pipelines: [EVIL],
    state: "running",
    health: "degraded" as const,
    reason: EVIL,
    error: EVIL,
  };
  const graph = renderGraphPage(
    [{ name: EVIL, receivers: [view.id], processors: [EVIL], exporters: [EVIL] }],
    new Map([[view.id, view]]),
    "header",
  );
  assertEscaped(graph, "graph");
  assertStringIncludes(
    graph,
    `href="/components/test.receiver%2F%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"`,
  );
  const row = {
    key: EVIL,
    component: EVIL,
    job: EVIL,
    address: EVIL,
    health: "down",
    types: [{ name: EVIL, health: EVIL, lastError: EVIL, series: "abc" }],
    lastScrape: EVIL,
    lastDurationSeconds: 0.5,
    lastError: EVIL,
    labels: { [EVIL]: EVIL },
    flame: "abc",
  };
  assertEscaped(renderTargetsPage([row]), "targets");
  const discovery = {
    component: EVIL,
    mechanism: "kubernetes_sd",
    role: EVIL,
    apiServer: EVIL,
    health: EVIL,
    lastError: EVIL,
    targets: 0,
  };
  assertEscaped(renderTargetsPage([row], [discovery]), "targets with discovery");
  const component = renderComponentPage({
    view,
    configYaml: `target: "${EVIL}"`,
    errors: [{ at: EVIL, level: "warn", msg: EVIL, detail: EVIL }],
    endpoints: [{ endpoint: EVIL, health: "failing", last_error: EVIL, failing_since: EVIL }],
    targets: [row],
    liveEnabled: true,
  });
  assertEscaped(component, "component");
  const series = {
    id: "abc",
    component_id: EVIL,
    labels: { [EVIL]: EVIL },
    count: 1,
    first: new Date(1).toISOString(),
    last: new Date(1).toISOString(),
    bytes: 2,
  };
  assertEscaped(renderFlamePage(series, [{ at: 1, bytes: 2 }], 64), "flame");
  assertEscaped(renderDiffPage(series, 64), "diff");
  assertEscaped(
    renderSeriesPage([series], { receiver: EVIL, match: [[EVIL, EVIL]] }, [EVIL], EVIL),
    "profiles",
  );
  assertEscaped(renderLivePage(EVIL, true), "live on");
  const off = renderLivePage(EVIL, false);
  assertEscaped(off, "live off");
  assertStringIncludes(off, "live_debugging:\n      enabled: true");
});

// ---- through the admin server ----------------------------------------------------------------

function config(live: boolean) {
  return `receivers:
  test.receiver/a: { target: "${EVIL}", password: hunter2 }
processors:
  test.processor/p: { value: x }
exporters:
  test.exporter: {}
service:
  pipelines:
    profiles: { receivers: [test.receiver/a], processors: [test.processor/p], exporters: [test.exporter] }
  telemetry:
    http: { listen_port: 0 }
    live_debugging: { enabled: ${live} }
`;
}

async function withCollector(
  live: boolean,
  fn: (base: string, receiver: TestReceiver) => Promise<void>,
) {
  const collector = new Collector({
    configFiles: ["c.yaml"],
    registry: new Registry(testFactories),
    version: "1.2.3",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: () => config(live), env: () => undefined },
  });
  await collector.start();
  try {
    const { instances } = await import("../tests/support/test_factories.ts");
    await fn(
      `http://127.0.0.1:${collector.adminAddr!.port}`,
      instances.get("test.receiver/a") as TestReceiver,
    );
  } finally {
    await collector.shutdown();
  }
}

const ITEM: PushItem = {
  kind: "push",
  labels: LabelSet.from({ __name__: "process_cpu", service_name: EVIL }),
  samples: [{ rawProfile: sampleProfile() }],
};

Deno.test("console: counters, component page with redacted config, profiles, flame JSON, read-only", async () => {
  await withCollector(false, async (base, receiver) => {
    await receiver.push(ITEM);
    const components = await (await fetch(`${base}/api/v1/components`)).json();
    const byId = Object.fromEntries(
      components.components.map((
        c: { id: string; counters: unknown; health: string },
      ) => [c.id, [c.health, c.counters]]),
    );
    assertEquals(byId, {
      "test.receiver/a": ["ok", {
        profiles: 1,
        bytes: ITEM.samples[0]!.rawProfile.byteLength,
        refused: 0,
      }],
      "test.processor/p": ["ok", { dropped: 0, dropped_bytes: 0 }],
      "test.exporter": ["ok", {
        profiles: 1,
        bytes: ITEM.samples[0]!.rawProfile.byteLength,
        refused: 0,
      }],
    });
    const page = await (await fetch(`${base}/components/${encodeURIComponent("test.receiver/a")}`))
      .text();
    assertStringIncludes(page, "password: &lt;secret&gt;");
    assert(!page.includes("hunter2"), "the secret is on the page");
    assertEscaped(page, "component page");
    const profiles = await (await fetch(`${base}/api/v1/profiles`)).json();
    assertEquals(
      profiles.map((
        p: { component_id: string; labels: unknown; count: number },
      ) => [p.component_id, p.labels, p.count]),
      [
        ["test.receiver/a", { __name__: "process_cpu", service_name: EVIL }, 1],
      ],
    );
    const id = profiles[0].id;
    const tree = await (await fetch(`${base}/api/v1/profiles/${id}/flame`)).json();
    assertEquals(tree.total[0], 60);
    const raw = new Uint8Array(
      await (await fetch(`${base}/api/v1/profiles/${id}/pprof`)).arrayBuffer(),
    );
    assertEquals(raw, ITEM.samples[0]!.rawProfile);
    const flamePage = await (await fetch(`${base}/flame/${id}`)).text();
    assertEscaped(flamePage, "flame page");
    const missing = await fetch(`${base}/flame/0123`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    for (const path of ["/", "/targets", "/api/v1/components", `/flame/${id}`]) {
      const post = await fetch(`${base}${path}`, { method: "POST" });
      assertEquals([path, post.status], [path, 405]);
      await post.body?.cancel();
    }
    const targets = await (await fetch(`${base}/targets`)).text();
    assertEscaped(targets, "targets page");
    const graph = await fetch(`${base}/`);
    assertStringIncludes(graph.headers.get("content-security-policy")!, "default-src 'self'");
    assert(!(await graph.text()).includes("<img"), "graph page");
  });
});

Deno.test("console: live debugging is off by default and streams items with a filter when on", async () => {
  await withCollector(false, async (base) => {
    const page =
      await (await fetch(`${base}/components/${encodeURIComponent("test.receiver/a")}/live`))
        .text();
    assertStringIncludes(page, "Live debugging is off");
    const stream = await fetch(
      `${base}/api/v1/components/${encodeURIComponent("test.receiver/a")}/live`,
    );
    assertEquals(stream.status, 403);
    await stream.body?.cancel();
  });
  await withCollector(true, async (base, receiver) => {
    const url = (id: string, filter: string) =>
      `${base}/api/v1/components/${encodeURIComponent(id)}/live?filter=${
        encodeURIComponent(filter)
      }`;
    const processor = await fetch(url("test.processor/p", "service_name"));
    const filtered = await fetch(url("test.receiver/a", "nothing-matches"));
    assertEquals(processor.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = processor.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read(); // the opening comment: the listener is in place
    await receiver.push(ITEM);
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    const data = JSON.parse(/data: (.*)/.exec(text)![1]!);
    assertEquals({ ...data, time: 0 }, {
      time: 0,
      event: "output",
      type: "push process_cpu",
      bytes: ITEM.samples[0]!.rawProfile.byteLength,
      profiles: 1,
      labels: `{__name__="process_cpu", service_name="${EVIL}", step="x"}`,
    });
    await reader.cancel();
    await filtered.body?.cancel();
  });
});

Deno.test("console: /debug/pprof/profile and /heap answer gzipped pprof; overlapping CPU profiles share one session", async () => {
  await withCollector(false, async (base) => {
    const cpuOf = async (response: Response) => {
      assertEquals(response.status, 200);
      const cpu = decodeProfile(
        gunzip(new Uint8Array(await response.arrayBuffer()), { maxBytes: 1 << 26 }),
      );
      assertEquals(cpu.sampleType.map((t) => stringAt(cpu, t.unit, "u")), [
        "count",
        "nanoseconds",
      ]);
      return cpu;
    };
    // The second request joins the first one's sampling; the first one ends first.
    const first = fetch(`${base}/debug/pprof/profile?seconds=0.4`);
    await new Promise((r) => setTimeout(r, 100));
    const joined = fetch(`${base}/debug/pprof/profile?seconds=0.5`);
    const [a, b] = await Promise.all([first.then(cpuOf), joined.then(cpuOf)]);
    // Each profile covers its own window.
    assertEquals([a.durationNanos, b.durationNanos].map((n) => Math.round(Number(n) / 1e8)), [
      4,
      5,
    ]);
    const tooLong = await fetch(`${base}/debug/pprof/profile?seconds=61`);
    assertEquals(
      [tooLong.status, await tooLong.text()],
      [400, "seconds must be at most 60, got 61\n"],
    );
    for (const path of ["heap", "allocs"]) {
      const heap = decodeProfile(
        gunzip(new Uint8Array(await (await fetch(`${base}/debug/pprof/${path}`)).arrayBuffer()), {
          maxBytes: 1 << 26,
        }),
      );
      assertEquals(heap.sampleType.map((t) => stringAt(heap, t.type, "t")), [
        "inuse_objects",
        "inuse_space",
      ]);
    }
    const bad = await fetch(`${base}/debug/pprof/profile?seconds=abc`);
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("console: a CPU profile in flight ends at shutdown; heap sampling outlives an admin server", async () => {
  let second: Promise<void> | undefined;
  const heapStatus = Promise.withResolvers<number>();
  await withCollector(false, async (first) => {
    // A second collector (as after a reload that moved the admin server) overlaps the first.
    second = withCollector(false, async (base) => {
      await new Promise((r) => setTimeout(r, 300)); // the first one is gone by now
      const heap = await fetch(`${base}/debug/pprof/heap`);
      await heap.body?.cancel();
      heapStatus.resolve(heap.status);
    });
    const slow = fetch(`${first}/debug/pprof/profile?seconds=60`);
    await new Promise((r) => setTimeout(r, 100));
    // withCollector shuts the collector down when this returns; the profile must end then.
    void slow.then(async (r) => {
      await r.body?.cancel();
    });
  });
  assertEquals(await heapStatus.promise, 200);
  await second;
});

Deno.test("component page: a scrape receiver shows its delta state in memory", () => {
  const view = {
    id: "pyroscope.scrape/app",
    kind: "receiver",
    type: "pyroscope.scrape",
    pipelines: ["profiles"],
    state: "running",
    health: "healthy",
  } as unknown as Parameters<typeof renderComponentPage>[0]["view"];
  const page = (deltaStateBytes?: number) =>
    renderComponentPage({
      view,
      configYaml: "",
      errors: [],
      endpoints: [],
      targets: [],
      liveEnabled: false,
      deltaStateBytes,
    });
  const row = /<tr><td>delta state<\/td><td>([\d.]+) MiB in memory/;
  assertEquals(Number(row.exec(page(3 * 1048576))?.[1]), 3);
  assertEquals(row.exec(page(undefined)), null);
});
