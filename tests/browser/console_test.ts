/**
 * The operator console in a real browser (Debian's chromium through playwright-core; no
 * browser is ever downloaded): a collector in this process scrapes its own
 * `/debug/pprof/profile` and `/debug/pprof/allocs`, a test receiver publishes a target whose
 * name is an HTML injection attempt, and a `pyroscope.write` exporter points at a port nobody
 * listens on. Checked: the graph shows every component and links to its page, the targets
 * filter, a flame graph of the collector's own CPU profile (its frames, zoom on click, search,
 * tooltip, download), live debugging, escaping, and no console errors. Screenshots go to
 * `tests/browser/out/` (gitignored).
 *
 * Needs `/usr/bin/chromium` (or `PROFCOL_CHROMIUM`); skipped when missing unless
 * `PROFCOL_REQUIRE_PEERS=1`.
 */
import { chromium } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { instances, testFactories, type TestReceiver } from "../support/test_factories.ts";
import { builtinFactories } from "../../components.ts";
import { Registry } from "../../core/registry.ts";
import { Collector } from "../../core/service/collector.ts";
import { Logger } from "../../core/telemetry/logger.ts";
import { LabelSet } from "../../core/labels.ts";

// Page code runs in the browser; this file is type-checked without the DOM library.
// deno-lint-ignore no-explicit-any
type Any = any;

const CHROMIUM = Deno.env.get("PROFCOL_CHROMIUM") ?? "/usr/bin/chromium";
const EVIL = "<img src=x onerror=alert(1)>";
const OUT = new URL("./out/", import.meta.url).pathname;

function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    if (Deno.env.get("PROFCOL_REQUIRE_PEERS") === "1") {
      throw new Error(`${CHROMIUM} is missing, but PROFCOL_REQUIRE_PEERS=1`);
    }
    console.warn(`SKIPPED: ${CHROMIUM} is missing; apt-get install chromium or run .ci/run`);
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name:
    "browser: graph, component pages, targets filter, flame graph of the collector itself, live",
  ignore: !hasChromium(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(OUT, { recursive: true });
    const port = freePort();
    const config = `receivers:
  pyroscope.scrape/self:
    targets: [{ __address__: "127.0.0.1:${port}", service_name: profcol }]
    scrape_interval: 2s
    delta_profiling_duration: 1500ms
    profiling_config:
      profile.process_cpu: { enabled: true }
      profile.memory: { enabled: true }
      profile.block: { enabled: false }
      profile.goroutine: { enabled: false }
      profile.mutex: { enabled: false }
  test.receiver/evil: { target: "${EVIL}" }
processors:
  service_name: {}
exporters:
  test.exporter: {}
  pyroscope.write/nowhere:
    endpoint: [{ url: "http://127.0.0.1:${freePort()}" }]
service:
  pipelines:
    profiles:
      receivers: [pyroscope.scrape/self, test.receiver/evil]
      processors: [service_name]
      exporters: [test.exporter, pyroscope.write/nowhere]
  telemetry:
    http: { listen_port: ${port} }
    live_debugging: { enabled: true }
`;
    const collector = new Collector({
      configFiles: ["c.yaml"],
      registry: new Registry([...builtinFactories, ...testFactories]),
      version: "0.0.0-browser",
      logger: new Logger({ level: "error", write: () => {} }),
      loadOptions: { readFile: () => config, env: () => undefined },
    });
    await collector.start();
    const base = `http://127.0.0.1:${port}`;
    const userDataDir = await Deno.makeTempDir({ prefix: "profcol-chromium-" });
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1400, height: 900 },
    });
    const problems: string[] = [];
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });

      // A CPU profile of the collector itself in the ring (the first memory one only primes).
      const cpuSeries = await waitFor("a process_cpu profile of the collector", async () => {
        const list = await (await fetch(`${base}/api/v1/profiles`)).json();
        return list.find((s: { labels: Record<string, string> }) =>
          s.labels.__name__ === "process_cpu"
        )?.id as string | undefined;
      });

      // ---- the graph -------------------------------------------------------------------------
      await page.goto(`${base}/`);
      const status = await (await fetch(`${base}/api/v1/status`)).json();
      const ids = [...new Set(status.components.map((c: { id: string }) => c.id))].sort();
      const drawn = await page.$$eval(
        "g[data-node]",
        (nodes) => nodes.map((n) => n.getAttribute("data-node")),
      );
      assertEquals([...new Set(drawn)].sort(), ids);
      // Rates arrive after the second poll; the dead endpoint colours its exporter.
      await page.waitForFunction(() =>
        [...(globalThis as Any).document.querySelectorAll("tspan[data-rate]")].some((t: Any) =>
          /\/s$/.test(t.textContent)
        )
      );
      await page.waitForSelector('g[data-node="pyroscope.write/nowhere"].health-failing', {
        timeout: 30_000,
      });
      await page.screenshot({ path: `${OUT}graph.png`, fullPage: true });

      // ---- clicking a node opens its page -------------------------------------------------------
      await page.click('g[data-node="pyroscope.scrape/self"]');
      await page.waitForURL(`${base}/components/pyroscope.scrape%2Fself`);
      assertEquals(await page.textContent("h1"), "pyroscope.scrape/self");
      assertStringIncludes((await page.textContent("pre"))!, "scrape_interval: 2s");
      await page.screenshot({ path: `${OUT}component.png`, fullPage: true });
      await page.goto(`${base}/components/${encodeURIComponent("pyroscope.write/nowhere")}`);
      await page.waitForSelector(".card .badge.health-failing");
      await page.screenshot({ path: `${OUT}exporter.png`, fullPage: true });

      // ---- targets: one row per target, filter, escaping -------------------------------------
      await page.goto(`${base}/targets`);
      const rows = page.locator("tr.target");
      assertEquals(await rows.count(), 2);
      const selfRow = page.locator("tr.target", { hasText: "pyroscope.scrape.self" });
      assertEquals(
        (await selfRow.locator(".badge").allTextContents()).sort(),
        ["memory", "process_cpu"],
      );
      assert(/\d+s ago/.test((await selfRow.locator("[data-at]").textContent())!), "age");
      assert(/\d+(\.\d)? (ms|s)$/.test((await selfRow.locator("[data-seconds]").textContent())!));
      assertStringIncludes((await page.textContent("body"))!, EVIL);
      assertEquals(await page.locator("img").count(), 0);
      await page.fill("#filter", "profcol.scrape");
      assertEquals(await page.locator("tr.target:not(.hidden)").count(), 0);
      await page.fill("#filter", "scrape.self");
      assertEquals(await page.locator("tr.target:not(.hidden)").count(), 1);
      await page.fill("#filter", "onerror");
      assertEquals(await page.locator("tr.target:not(.hidden)").count(), 1);
      await page.fill("#filter", "");
      assertEquals(await page.locator("tr.target:not(.hidden)").count(), 2);
      await selfRow.locator("details summary").click();
      assertStringIncludes(
        (await selfRow.locator("details").textContent())!,
        'service_name="profcol"',
      );
      await page.screenshot({ path: `${OUT}targets.png`, fullPage: true });

      // ---- flame graph of the collector's own CPU profile -------------------------------------
      // The tree the page draws (a newer profile may arrive every 2 s: fetching "the newest"
      // again could compare another profile's frames).
      const shown = page.waitForResponse((r) =>
        r.url().includes(`/api/v1/profiles/${cpuSeries}/flame`)
      );
      await selfRow.locator('a.badge:has-text("process_cpu")').click();
      await page.waitForURL(`${base}/flame/${cpuSeries}`);
      await page.waitForSelector("#flame svg g[data-i]");
      assertEquals(
        await page.$eval(
          "#sample-type",
          (s) => (s as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0]!.text,
        ),
        "cpu/nanoseconds",
      );
      const tree = await (await shown).json();
      const names = new Set<string>(tree.names);
      // The collector's own frames: the self-profiler that took this very profile (it starts
      // the shared sampling session and posts to the inspector).
      assert(
        names.has("#startSampling") && names.has("#post"),
        `collector frames in ${[...names].join(", ")}`,
      );
      // Zoom: click the widest frame below the root; it then spans the whole width.
      const target: number = await page.evaluate(() => {
        const width = (g: Any) => Number(g.querySelector("rect").getAttribute("width"));
        const gs = [...(globalThis as Any).document.querySelectorAll("#flame g[data-i]")]
          .filter((g: Any) => g.getAttribute("data-i") !== "0")
          .sort((a: Any, b: Any) => width(b) - width(a));
        const leafward = gs.find((g: Any) => width(g) < 900);
        return leafward ? Number(leafward.getAttribute("data-i")) : -1;
      });
      assert(target > 0, "a frame narrower than the graph");
      const before = await page.locator("#flame").getAttribute("data-focus");
      await page.click(`#flame g[data-i="${target}"] rect`);
      const focused = await page.locator("#flame").getAttribute("data-focus");
      assertEquals(focused, tree.names[tree.name[target]]);
      assert(focused !== before || before === null);
      const width = await page.$eval(
        `#flame g[data-i="${target}"] rect`,
        (r) => Number(r.getAttribute("width")),
      );
      const full = await page.$eval("#flame svg", (s) => Number(s.getAttribute("width")));
      assert(Math.abs(width - full) < 1, `zoomed frame spans ${width} of ${full}`);
      await page.screenshot({ path: `${OUT}flame-zoomed.png`, fullPage: true });
      await page.click("#reset");
      await page.fill("#search", "startSampling");
      assert((await page.locator("#flame g.match").count()) > 0, "search highlights");
      assertStringIncludes((await page.textContent("#match-info"))!, "matched");
      await page.hover(`#flame g[data-i="0"] rect`);
      const tip = (await page.textContent("#tooltip"))!;
      assert(/self .*\ntotal .*\(100\.00%\)/s.test(tip), tip);
      await page.screenshot({ path: `${OUT}flame.png`, fullPage: true });
      const href = await page.getAttribute("#download", "href");
      const pprof = new Uint8Array(await (await fetch(`${base}${href}`)).arrayBuffer());
      assertEquals([pprof[0], pprof[1]], [0x1f, 0x8b]);

      // ---- live debugging ----------------------------------------------------------------------
      await page.goto(`${base}/components/${encodeURIComponent("test.receiver/evil")}/live`);
      await page.waitForFunction(() =>
        (globalThis as Any).document.querySelector("#live-status").textContent === "streaming"
      );
      const receiver = instances.get("test.receiver/evil") as TestReceiver;
      await receiver.push({
        kind: "push",
        labels: LabelSet.from({ __name__: "process_cpu", service_name: EVIL }),
        samples: [{ rawProfile: new Uint8Array([1, 2, 3]) }],
      });
      await page.waitForSelector("#live-rows tr");
      const row = (await page.textContent("#live-rows tr"))!;
      assertStringIncludes(row, "received");
      assertStringIncludes(row, EVIL);
      assertEquals(await page.locator("img").count(), 0);
      await page.screenshot({ path: `${OUT}live.png`, fullPage: true });

      assertEquals(problems, []);
    } finally {
      await context.close();
      await collector.shutdown();
      await Deno.remove(userDataDir, { recursive: true });
    }
  },
});
