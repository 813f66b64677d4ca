import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { LabelSet } from "../core/labels.ts";
import type { PushItem } from "../core/items.ts";
import { Taps } from "../core/pipeline/taps.ts";
import type { Service } from "../core/service/service.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { Console } from "./console.ts";
import { ConsoleState } from "./console_state.ts";
import { diffFlame, type FlameTree, flameTree, mergeFlame } from "./flame_tree.ts";
import { ProfileStore, seriesId } from "./profile_store.ts";
import {
  diffOfRanges,
  listSeries,
  MAX_MERGED_PROFILES,
  mergedFlame,
  parseTime,
  QueryError,
  seriesFilter,
} from "./series_api.ts";

const testdata = (name: string) =>
  Deno.readFileSync(new URL(`../pprof/testdata/${name}`, import.meta.url));
const CPU = testdata("cpu.pb.gz");
const ALLOCS_1 = testdata("allocs_1.pb.gz");
const ALLOCS_2 = testdata("allocs_2.pb.gz");
const ALL = { minFraction: 0 };

/** Each node's path (`a;b;c`) and its [self, total]. */
function byPath(
  tree: Pick<FlameTree, "names" | "name" | "parent">,
  self: readonly number[],
  total: readonly number[],
): Map<string, [number, number]> {
  const paths: string[] = [];
  const out = new Map<string, [number, number]>();
  tree.name.forEach((n, i) => {
    const up = tree.parent[i]!;
    paths[i] = up < 0 ? tree.names[n]! : `${paths[up]};${tree.names[n]}`;
    out.set(paths[i]!, [self[i]!, total[i]!]);
  });
  return out;
}

function scaled(map: Map<string, [number, number]>, by: number) {
  return new Map([...map].map(([k, [s, t]]) => [k, [s * by, t * by] as [number, number]]));
}

function push(bytes: Uint8Array, labels: Record<string, string>): PushItem {
  return { kind: "push", labels: LabelSet.from(labels), samples: [{ rawProfile: bytes }] };
}

Deno.test("mergeFlame: a real CPU profile merged with itself doubles every frame", () => {
  const one = flameTree(CPU, ALL);
  assert(one.name.length > 3, `frames in cpu.pb.gz: ${one.name.length}`);
  const two = mergeFlame([CPU, CPU], ALL);
  assertEquals(byPath(two, two.self, two.total), scaled(byPath(one, one.self, one.total), 2));
  assertEquals([two.profiles, two.skipped, two.sample_types], [2, 0, one.sample_types]);
  assertEquals(two.duration_nanos, 2 * one.duration_nanos);
});

Deno.test("mergeFlame: profiles that cannot be decoded or lack the sample type are skipped", () => {
  const merged = mergeFlame([CPU, new Uint8Array([0x1f, 0x8b, 1, 2]), ALLOCS_1], ALL);
  const one = flameTree(CPU, ALL);
  assertEquals([merged.profiles, merged.skipped], [1, 2]);
  assertEquals(merged.total, one.total);
});

Deno.test("diffFlame: one tree, baseline and comparison values equal to each range's own tree", () => {
  for (const sampleType of [0, 1, 2, 3]) {
    const options = { ...ALL, sampleType };
    const base = flameTree(ALLOCS_1, options);
    const comparison = mergeFlame([ALLOCS_2, ALLOCS_2], options);
    const diff = diffFlame([ALLOCS_1], [ALLOCS_2, ALLOCS_2], options);
    assertEquals(diff.sample_types[sampleType], base.sample_types[sampleType]);
    // Frames of one range only are 0 in the other: drop the zero rows before comparing.
    const nonZero = (m: Map<string, [number, number]>) =>
      new Map([...m].filter(([, [s, t]]) => s !== 0 || t !== 0));
    assertEquals(
      nonZero(byPath(diff, diff.base_self, diff.base_total)),
      byPath(base, base.self, base.total),
    );
    assertEquals(
      nonZero(byPath(diff, diff.self, diff.total)),
      byPath(comparison, comparison.self, comparison.total),
    );
    assertEquals([diff.base_profiles, diff.profiles], [1, 2]);
  }
});

Deno.test("parseTime: epoch ms, RFC 3339, now-<duration>; anything else names the parameter", () => {
  const now = 1_700_000_000_000;
  assertEquals(parseTime("from", null, 5, now), 5);
  assertEquals(parseTime("from", "1699999999000", 5, now), 1_699_999_999_000);
  assertEquals(parseTime("from", "now-15m", 5, now), now - 15 * 60_000);
  assertEquals(parseTime("to", "now", 5, now), now);
  assertEquals(parseTime("to", "2023-11-14T22:13:20Z", 5, now), now);
  for (const bad of ["yesterday", "now-15", "2023-11-14"]) {
    let message = "";
    try {
      parseTime("base_from", bad, 5, now);
    } catch (error) {
      assert(error instanceof QueryError);
      message = error.message;
    }
    assertEquals(
      message,
      "base_from must be milliseconds since the epoch, an RFC 3339 time, now or " +
        `now-<duration> (e.g. now-15m), got ${JSON.stringify(bad)}`,
    );
  }
});

Deno.test("series list: every receiver's series, filtered by receiver and labels, redacted", () => {
  const store = new ProfileStore(1024 * 1024);
  store.record(
    "pyroscope.scrape/a",
    [push(CPU, { __name__: "process_cpu", service_name: "a" })],
    1,
  );
  store.record("otlp/in", [push(CPU, { __name__: "process_cpu", service_name: "b" })], 2);
  store.record("pyroscope.receive_http/in", [
    push(ALLOCS_1, { __name__: "memory", service_name: "b", api_key: "hunter2" }),
  ], 3);
  store.record("pyroscope.receive_http/in", [
    push(ALLOCS_2, { __name__: "memory", service_name: "b", api_key: "hunter2" }),
  ], 7);
  const rows = (query: string) =>
    listSeries(store, seriesFilter(new URLSearchParams(query))).map((
      s,
    ) => [s.component_id, s.labels, s.count, s.first, s.last]);
  const t = (ms: number) => new Date(ms).toISOString();
  const memory = { __name__: "memory", service_name: "b", api_key: "<secret>" };
  assertEquals(rows(""), [
    ["pyroscope.receive_http/in", memory, 2, t(3), t(7)],
    ["otlp/in", { __name__: "process_cpu", service_name: "b" }, 1, t(2), t(2)],
    ["pyroscope.scrape/a", { __name__: "process_cpu", service_name: "a" }, 1, t(1), t(1)],
  ]);
  assertEquals(rows("receiver=otlp/in").map((r) => r[0]), ["otlp/in"]);
  assertEquals(rows("match=service_name%3Db,__name__%3Dmemory").map((r) => r[0]), [
    "pyroscope.receive_http/in",
  ]);
  assertEquals(rows("match=service_name=b&match=__name__=process_cpu").map((r) => r[0]), [
    "otlp/in",
  ]);
  // A secret value is neither shown nor matched.
  assertEquals(rows("match=api_key=hunter2"), []);
  let message = "";
  try {
    seriesFilter(new URLSearchParams("match=service_name"));
  } catch (error) {
    message = (error as Error).message;
  }
  assertEquals(
    message,
    'match must be <label>=<value> (e.g. service_name=api), got "service_name"',
  );
});

Deno.test("ranges: only the profiles in [from, to] are merged, the newest ones up to the cap", () => {
  const profiles = [
    ...Array.from({ length: 6 }, (_, i) => ({ at: 1000 + i, bytes: ALLOCS_1 })),
    ...Array.from(
      { length: MAX_MERGED_PROFILES + 2 },
      (_, i) => ({ at: 2000 + i, bytes: ALLOCS_2 }),
    ),
  ];
  const one1 = flameTree(ALLOCS_1, ALL), one2 = flameTree(ALLOCS_2, ALL);
  const early = mergedFlame(profiles, new URLSearchParams("from=1000&to=1999"), 9999);
  assertEquals(early.range, { from: 1000, to: 1999, in_range: 6, merged: 6, limit: 64 });
  assertEquals(early.total[0], 6 * one1.total[0]!);
  // Everything: 72 in range, the newest 64 (all allocs_2) merged.
  const all = mergedFlame(profiles, new URLSearchParams(""), 9999);
  assertEquals(all.range, { from: 0, to: 9999, in_range: 72, merged: 64, limit: 64 });
  assertEquals(all.total[0], 64 * one2.total[0]!);
  const none = mergedFlame(profiles, new URLSearchParams("from=5000"), 9999);
  assertEquals([none.range.in_range, none.profiles, none.total], [0, 0, [0]]);
  // A diff of the two ranges; without ranges, the older half of the span against the newer.
  const diff = diffOfRanges(
    profiles,
    new URLSearchParams("base_from=1000&base_to=1999&from=2000&to=2001"),
    9999,
  );
  assertEquals([diff.base_range.merged, diff.range.merged], [6, 2]);
  assertEquals([diff.base_total[0], diff.total[0]], [6 * one1.total[0]!, 2 * one2.total[0]!]);
  const halves = diffOfRanges(profiles, new URLSearchParams(""), 9999);
  assertEquals([halves.base_range.from, halves.base_range.to], [1000, 1532]);
  assertEquals([halves.range.from, halves.range.to], [1533, 2065]);
  assertEquals([halves.base_range.in_range, halves.range.in_range], [6, 66]);
});

/** A console over a real ring, with a service that runs one receiver (no sockets). */
function inProcessConsole() {
  const taps = new Taps();
  const state = new ConsoleState(taps, () => 4 * 1024 * 1024);
  const service = {
    taps,
    config: undefined,
    status: () => ({
      state: "running",
      version: "0",
      pipelines: [],
      components: [{ id: "otlp/in", kind: "receiver", type: "otlp", state: "running" }],
      published: {},
    }),
  } as unknown as Service;
  const console = new Console({
    service,
    metrics: new MetricsRegistry(),
    logger: new Logger({ write: () => {} }),
    state,
    header: () => "",
  });
  const get = async (path: string) => {
    const response = await console.handle(
      new Request(`http://admin${path}`),
      new URL(path, "http://admin"),
    );
    assert(response !== undefined, `a console route: ${path}`);
    return response;
  };
  return { state, console, get };
}

Deno.test("console handler: series list, merged flame, diff, pages and 400s, without sockets", async () => {
  const { state, console, get } = inProcessConsole();
  const now = Date.now();
  const labels = { __name__: "memory", service_name: "api" };
  state.store.record("otlp/in", [push(ALLOCS_1, labels)], now - 20 * 60_000);
  state.store.record("otlp/in", [push(ALLOCS_2, labels)], now - 60_000);
  const id = seriesId("otlp/in", labels);
  const list = await (await get("/api/v1/profiles?receiver=otlp/in")).json();
  assertEquals(list.map((s: { id: string; count: number }) => [s.id, s.count]), [[id, 2]]);
  const last5m = await (await get(`/api/v1/profiles/${id}/flame?from=now-5m&sample_type=1`))
    .json();
  assertEquals([last5m.range.in_range, last5m.total[0]], [
    1,
    flameTree(ALLOCS_2, { sampleType: 1 }).total[0],
  ]);
  const diff = await (await get(`/api/v1/profiles/${id}/diff?base_to=now-10m&from=now-10m`))
    .json();
  assertEquals([diff.base_range.merged, diff.range.merged], [1, 1]);
  const bad = await get(`/api/v1/profiles/${id}/diff?from=now-10m&to=now-20m`);
  assertEquals(bad.status, 400);
  assertStringIncludes(await bad.text(), "from (");
  const badFilter = await get("/api/v1/profiles?match=oops");
  assertEquals(badFilter.status, 400);
  await badFilter.body?.cancel();
  const page = await (await get("/profiles?match=service_name%3Dapi")).text();
  assertStringIncludes(page, `<tr class="series" data-series="${id}">`);
  for (const path of [`/flame/${id}`, `/diff/${id}`]) {
    const response = await get(path);
    assertEquals([path, response.status], [path, 200]);
    assertStringIncludes(await response.text(), `data-series="${id}"`);
  }
  const missing = await get("/api/v1/profiles/0123/diff");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  console.close();
  state.close();
});
