import { assertEquals } from "./assert.ts";
import { metricValue, parseMetrics } from "./metrics.ts";

const TEXT = [
  "# HELP x_total Things.",
  "# TYPE x_total counter",
  'x_total{component_id="a",reason="r"} 20',
  'x_total{component_id="a",reason="q\\"\\n"} 2',
  'x_total{component_id="b",reason="r"} 1',
  "up 1",
  'h_bucket{le="+Inf"} 3',
  "",
].join("\n");

Deno.test("metrics: values are parsed, so 2 is not a prefix of 20", () => {
  assertEquals(metricValue(TEXT, "x_total", { component_id: "a", reason: "r" }), 20);
  assertEquals(metricValue(TEXT, "x_total", { component_id: "a" }), 22);
  assertEquals(metricValue(TEXT, "x_total", { component_id: "c" }), undefined);
  assertEquals(metricValue(TEXT, "x_tota"), undefined);
  assertEquals(metricValue(TEXT, "up"), 1);
  assertEquals(parseMetrics(TEXT)[1], {
    name: "x_total",
    labels: { component_id: "a", reason: 'q"\n' },
    value: 2,
  });
  assertEquals(parseMetrics(TEXT).at(-1), { name: "h_bucket", labels: { le: "+Inf" }, value: 3 });
});
