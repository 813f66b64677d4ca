import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { MetricsRegistry } from "./metrics.ts";

Deno.test("counter: series by label values, rendered with HELP/TYPE", () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter("x_total", "Things.", ["component_id", "reason"]);
  counter.inc({ component_id: "a", reason: "r" });
  counter.inc({ component_id: "a", reason: "r" }, 2);
  counter.inc({ component_id: "b", reason: 'q"\\\n' });
  assertEquals(counter.get({ component_id: "a", reason: "r" }), 3);
  assertEquals(counter.get({ component_id: "zz", reason: "r" }), 0);
  assertEquals(registry.render().split("\n"), [
    "# HELP x_total Things.",
    "# TYPE x_total counter",
    'x_total{component_id="a",reason="r"} 3',
    'x_total{component_id="b",reason="q\\"\\\\\\n"} 1',
    "",
  ]);
  counter.removeMatching({ component_id: "a" });
  assertEquals(counter.get({ component_id: "a", reason: "r" }), 0);
});

Deno.test("registry returns the same metric for the same name; a kind clash throws", () => {
  const registry = new MetricsRegistry();
  assert(registry.counter("c", "h") === registry.counter("c", "h"));
  assertThrows(() => registry.gauge("c", "h"), Error, "already registered as a counter");
});

Deno.test("gauge: set/add, collectors run before render and can be removed", () => {
  const registry = new MetricsRegistry();
  const gauge = registry.gauge("g", "A gauge.");
  gauge.set(undefined, 5);
  gauge.add(undefined, -2);
  assertEquals(gauge.get(), 3);
  let calls = 0;
  const off = gauge.collect(() => gauge.set(undefined, ++calls * 10));
  assert(registry.render().includes("\ng 10\n"));
  off();
  assert(registry.render().includes("\ng 10\n"));
  assertEquals(calls, 1);
  gauge.set(undefined, Infinity);
  assert(registry.render().includes("\ng +Inf\n"));
});

Deno.test("histogram: cumulative buckets, +Inf, sum and count", () => {
  const registry = new MetricsRegistry();
  const histogram = registry.histogram("h_seconds", "Latency.", ["component_id"], [0.1, 1]);
  histogram.observe({ component_id: "a" }, 0.05);
  histogram.observe({ component_id: "a" }, 0.5);
  histogram.observe({ component_id: "a" }, 5);
  assertEquals(histogram.count({ component_id: "a" }), 3);
  const lines = registry.render().split("\n");
  assertEquals(lines.slice(2, 7), [
    'h_seconds_bucket{component_id="a",le="0.1"} 1',
    'h_seconds_bucket{component_id="a",le="1"} 2',
    'h_seconds_bucket{component_id="a",le="+Inf"} 3',
    'h_seconds_sum{component_id="a"} 5.55',
    'h_seconds_count{component_id="a"} 3',
  ]);
});

Deno.test("metrics: Alloy-named families carry Alloy's component_id form and component_path", () => {
  const registry = new MetricsRegistry();
  registry.counter("pyroscope_relabel_profiles_processed", "Alloy's.", ["component_id"])
    .inc({ component_id: "relabel/drop_debug" }, 2);
  registry.gauge("pyroscope_relabel_cache_size", "Alloy's.", ["component_id"])
    .set({ component_id: "relabel" }, 3);
  registry.counter("profcol_relabel_cache_hits_total", "Ours.", ["component_id"])
    .inc({ component_id: "relabel/drop_debug" });
  assertEquals(registry.render().split("\n").filter((line) => !line.startsWith("#")), [
    'pyroscope_relabel_profiles_processed{component_id="relabel.drop_debug",component_path="/"} 2',
    'pyroscope_relabel_cache_size{component_id="relabel.default",component_path="/"} 3',
    'profcol_relabel_cache_hits_total{component_id="relabel/drop_debug"} 1',
    "",
  ]);
});
