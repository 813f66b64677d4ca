import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { testFactories, testTarget } from "../../tests/support/test_factories.ts";
import { Registry } from "../registry.ts";
import { Collector } from "../service/collector.ts";
import { Logger } from "../telemetry/logger.ts";
import { escapeHtml, formatCell, renderStatusPage } from "./page.ts";
import { metricValue } from "../../tests/support/metrics.ts";

const CONFIG = `receivers:
  test.receiver/a: { target: "<script>alert(1)</script>" }
exporters:
  test.exporter: {}
service:
  pipelines:
    profiles: { receivers: [test.receiver/a], exporters: [test.exporter] }
  telemetry: { http: { listen_port: 0 } }
`;

const logLines: string[] = [];

async function withCollector(fn: (base: string, collector: Collector) => Promise<void>) {
  let text = CONFIG;
  logLines.length = 0;
  const collector = new Collector({
    configFiles: ["c.yaml"],
    registry: new Registry(testFactories),
    version: "1.2.3",
    logger: new Logger({ write: (line) => logLines.push(line) }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  try {
    const addr = collector.adminAddr!;
    assertEquals(addr.hostname, "127.0.0.1");
    await fn(
      `http://127.0.0.1:${addr.port}`,
      Object.assign(collector, {
        setConfig: (next: string) => text = next,
      }),
    );
  } finally {
    await collector.shutdown();
  }
}

Deno.test("admin: health, readiness, metrics with process gauges", async () => {
  await withCollector(async (base) => {
    const healthy = await fetch(`${base}/-/healthy`);
    assertEquals([healthy.status, await healthy.text()], [200, "profcol is healthy.\n"]);
    const ready = await fetch(`${base}/-/ready`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();
    const metrics = await fetch(`${base}/metrics`);
    assertStringIncludes(metrics.headers.get("content-type")!, "text/plain; version=0.0.4");
    const text = await metrics.text();
    assert(/^process_resident_memory_bytes \d+$/m.test(text), "rss");
    assert(/^profcol_uptime_seconds [\d.]+$/m.test(text), "uptime");
    assertEquals(metricValue(text, "profcol_build_info", { version: "1.2.3" }), 1);
    assertEquals(metricValue(text, "alloy_config_last_load_successful"), 1);
    assertEquals(metricValue(text, "alloy_config_load_failures_total"), 0);
    // Alloy's controller health: the two test components, both healthy.
    assertEquals(
      ["healthy", "unhealthy", "unknown", "exited"].map((health_type) =>
        metricValue(text, "alloy_component_controller_running_components", { health_type })
      ),
      [2, 0, 0, 0],
    );
    assertStringIncludes(text, "# TYPE profcol_receiver_accepted_profiles_total counter");
  });
});

Deno.test("admin: status and targets JSON, HTML page escapes everything", async () => {
  await withCollector(async (base) => {
    const status = await (await fetch(`${base}/api/v1/status`)).json();
    assertEquals(status.state, "running");
    assertEquals(status.pipelines[0].name, "profiles");
    assertEquals(status.components.map((c: { id: string }) => c.id).sort(), [
      "test.exporter",
      "test.receiver/a",
    ]);
    const targets = await (await fetch(`${base}/api/v1/targets`)).json();
    assertEquals(targets, [testTarget("test.receiver/a", "<script>alert(1)</script>")]);
    const page = await (await fetch(`${base}/status`)).text();
    assert(!page.includes("<script>alert"), "raw script tag on the page");
    assertStringIncludes(page, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assertStringIncludes(page, "<h2>Pipelines</h2>");
    const console = await (await fetch(`${base}/targets`)).text();
    assert(!console.includes("<script>alert"), "raw script tag on the console");
    assertStringIncludes(console, "&lt;script&gt;alert(1)&lt;/script&gt;");
    const missing = await fetch(`${base}/nope`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("admin: POST /-/reload keeps the running pipeline on a bad config, swaps on a good one", async () => {
  await withCollector(async (base, collector) => {
    const set = (collector as unknown as { setConfig(t: string): void }).setConfig;
    const get = await fetch(`${base}/-/reload`);
    assertEquals(get.status, 405);
    await get.body?.cancel();

    set(CONFIG.replace("test.exporter: {}", "test.exporter: { capacityy: 1 }"));
    const bad = await fetch(`${base}/-/reload`, { method: "POST" });
    const badText = await bad.text();
    assertEquals(bad.status, 400);
    assertStringIncludes(badText, "kept the running config");
    assertStringIncludes(badText, 'exporters::test.exporter::capacityy: Unknown key "capacityy"');
    const ready = await fetch(`${base}/-/ready`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();
    let metrics = await (await fetch(`${base}/metrics`)).text();
    assertEquals(metricValue(metrics, "alloy_config_last_load_successful"), 0);
    assertEquals(metricValue(metrics, "alloy_config_load_failures_total"), 1);

    assert(logLines.some((l) => l.startsWith("ts=") && l.includes("config reload failed")));
    set(
      CONFIG.replace("test.exporter: {}", "test.exporter: { capacity: 1 }")
        .replace("{ listen_port: 0 } }", "{ listen_port: 0 }, logs: { format: json } }"),
    );
    const good = await fetch(`${base}/-/reload`, { method: "POST" });
    assertEquals([good.status, await good.text()], [200, "config reloaded\n"]);
    // Log format follows the new config.
    assertEquals(JSON.parse(logLines.at(-1)!).msg, "config reloaded");
    metrics = await (await fetch(`${base}/metrics`)).text();
    assertEquals(metricValue(metrics, "alloy_config_last_load_successful"), 1);
  });
});

Deno.test("admin page: escapeHtml and published status", () => {
  assertEquals(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  const html = renderStatusPage({
    state: "running",
    version: "v<1>",
    pipelines: [],
    components: [],
    published: {
      discovery: [{
        component_id: "pyroscope.scrape/k8s",
        mechanism: "kubernetes_sd",
        role: "pod",
        api_server: "https://127.0.0.1:6443",
        health: "down",
        last_error: "<b>hi</b>",
        targets: 0,
      }],
    },
  }, { uptimeSeconds: 3 });
  assertStringIncludes(html, "version v&lt;1&gt;");
  assertStringIncludes(html, "&lt;b&gt;hi&lt;/b&gt;");
  // The console's layout and stylesheet, not a bare page.
  assertStringIncludes(html, '<link rel="stylesheet" href="/console/console.css">');
});

Deno.test("admin page: numbers read as a person reads them", () => {
  assertEquals(
    [
      formatCell("queue_bytes", 1536),
      formatCell("queue_bytes", 12),
      formatCell("spool_bytes", 3 * 1024 * 1024 + 200_000),
      formatCell("last_scrape_duration_seconds", 0.30000000000000004),
      formatCell("outage_ms", 90_400),
      formatCell("ratio", 0.30000000000000004),
      formatCell("targets", 12),
      formatCell("paused", true),
      formatCell("endpoints", ["a", "b"]),
      formatCell("labels", { job: "x" }),
      formatCell("last_error", undefined),
    ],
    [
      "1.5 KiB",
      "12 B",
      "3.2 MiB",
      "300ms",
      "1m30.4s",
      "0.3",
      "12",
      "yes",
      "a, b",
      '{"job":"x"}',
      "",
    ],
  );
});
