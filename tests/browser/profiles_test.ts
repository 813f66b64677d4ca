/**
 * The console's profile browser in a real browser (Debian's chromium through playwright-core):
 * a collector receives pprof over `pyroscope.receive_http` (`/ingest`) and over OTLP, a first
 * batch (allocs_1) and, 2.5 s later, a second one (allocs_2) of the same series. Checked, as a
 * user goes: browse the series of every receiver and filter them by receiver and label, open
 * a series' flame graph, narrow it to a range that holds only the first batch, then diff the
 * older half against the newer half (frames that grew red, that shrank green, tooltip with
 * both shares). Screenshots go to `tests/browser/out/` (gitignored).
 *
 * Needs `/usr/bin/chromium` (or `PROFCOL_CHROMIUM`); skipped when missing unless
 * `PROFCOL_REQUIRE_PEERS=1`.
 */
import { chromium } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { testFactories } from "../support/test_factories.ts";
import { builtinFactories } from "../../components.ts";
import { Registry } from "../../core/registry.ts";
import { Collector } from "../../core/service/collector.ts";
import { Logger } from "../../core/telemetry/logger.ts";
import { LabelSet } from "../../core/labels.ts";
import { pprofToOtlp } from "../../otlp/otlp_pprof.ts";
import { encodeExportRequest } from "../../otlp/otlp_profiles.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";
import { decodeProfile } from "../../pprof/profile.ts";
import { mergeFlame } from "../../console/flame_tree.ts";

// Page code runs in the browser; this file is type-checked without the DOM library.
// deno-lint-ignore no-explicit-any
type Any = any;

const CHROMIUM = Deno.env.get("PROFCOL_CHROMIUM") ?? "/usr/bin/chromium";
const OUT = new URL("./out/", import.meta.url).pathname;
const testdata = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));
const ALLOCS_1 = testdata("allocs_1.pb.gz");
const ALLOCS_2 = testdata("allocs_2.pb.gz");
const CPU = testdata("cpu.pb.gz");

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

async function ingest(port: number, bytes: Uint8Array): Promise<void> {
  const name = encodeURIComponent("checkout{env=prod}");
  const response = await fetch(`http://127.0.0.1:${port}/ingest?name=${name}&format=pprof`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes as BodyInit,
  });
  assertEquals(response.status, 200, await response.text());
}

interface Series {
  id: string;
  component_id: string;
  labels: Record<string, string>;
  count: number;
  first: string;
}

Deno.test({
  name: "browser: browse every receiver's series, a flame graph over a range, a diff of two",
  ignore: !hasChromium(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(OUT, { recursive: true });
    const [admin, http, otlp] = [freePort(), freePort(), freePort()];
    const config = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: ${http} }
  otlp:
    protocols: { http: { endpoint: "127.0.0.1:${otlp}" } }
exporters:
  test.exporter: {}
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in, otlp]
      exporters: [test.exporter]
  telemetry:
    http: { listen_port: ${admin} }
`;
    const collector = new Collector({
      configFiles: ["c.yaml"],
      registry: new Registry([...builtinFactories, ...testFactories]),
      version: "0.0.0-browser",
      logger: new Logger({ level: "error", write: () => {} }),
      loadOptions: { readFile: () => config, env: () => undefined },
    });
    await collector.start();
    const base = `http://127.0.0.1:${admin}`;
    const userDataDir = await Deno.makeTempDir({ prefix: "profcol-chromium-" });
    let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
    const problems: string[] = [];
    try {
      // Two batches of one series 2.5 s apart, and an OTLP series.
      for (let i = 0; i < 3; i++) await ingest(http, ALLOCS_1);
      const otlpBody = encodeExportRequest(pprofToOtlp([{
        labels: LabelSet.from({ service_name: "api", __name__: "process_cpu" }),
        profiles: [decodeProfile(gunzipIfNeeded(CPU, 1 << 26))],
      }]));
      const sent = await fetch(`http://127.0.0.1:${otlp}/v1development/profiles`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
        body: otlpBody as BodyInit,
      });
      assertEquals(sent.status, 200);
      await sent.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      for (let i = 0; i < 3; i++) await ingest(http, ALLOCS_2);
      const list: Series[] = await (await fetch(`${base}/api/v1/profiles`)).json();
      const checkout = list.find((s) => s.labels.service_name === "checkout")!;
      assertEquals([checkout.component_id, checkout.count], ["pyroscope.receive_http/in", 6]);

      context = await chromium.launchPersistentContext(userDataDir, {
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
      const page = context.pages()[0] ?? await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

      // ---- browse: every receiver's series, then filtered -------------------------------------
      await page.goto(`${base}/`);
      await page.click('header a[href="/profiles"]');
      await page.waitForURL(`${base}/profiles`);
      const receivers = async () =>
        (await page.locator("tr.series td:first-child").allTextContents()).sort();
      assertEquals(await receivers(), ["otlp", "pyroscope.receive_http/in"]);
      await page.screenshot({ path: `${OUT}profiles.png`, fullPage: true });
      await page.selectOption("#series-receiver", "otlp");
      await page.click("form.toolbar button[type=submit]");
      await page.waitForURL(/receiver=otlp/);
      assertEquals(await receivers(), ["otlp"]);
      await page.selectOption("#series-receiver", "");
      await page.fill("#series-match", "service_name=checkout, env=prod");
      await page.click("form.toolbar button[type=submit]");
      await page.waitForURL(/match=/);
      assertEquals(await receivers(), ["pyroscope.receive_http/in"]);
      assertEquals(await page.locator("tr.series td.num").first().textContent(), "6");
      await page.screenshot({ path: `${OUT}profiles-filtered.png`, fullPage: true });

      // ---- a flame graph of every kept profile, then of the first batch only ------------------
      const trees: Any[] = [];
      page.on("response", (r) => {
        if (r.url().includes(`/api/v1/profiles/${checkout.id}/`)) {
          trees.push(r.json().catch(() => undefined));
        }
      });
      await page.click(`tr.series[data-series="${checkout.id}"] a:has-text("flame")`);
      await page.waitForURL(`${base}/flame/${checkout.id}`);
      await page.waitForSelector("#flame svg g[data-i]");
      const all = await trees.at(-1);
      const sampleType = all.sample_type;
      const expect = (batch: Uint8Array[]) => mergeFlame(batch, { sampleType }).total[0];
      assertEquals(all.range.merged, 6);
      assertEquals(all.total[0], expect([...Array(3).fill(ALLOCS_1), ...Array(3).fill(ALLOCS_2)]));
      assertStringIncludes((await page.textContent("#range-info"))!, "merged 6 profiles");
      // Only the first batch: from its second to one second later (the second batch is 2.5 s on).
      const first = Date.parse(checkout.first);
      await page.evaluate((ms: number) => {
        const local = (t: number) =>
          new Date(t - new Date(t).getTimezoneOffset() * 60000).toISOString().slice(0, 19);
        const doc = (globalThis as Any).document;
        doc.querySelector("#from").value = local(ms);
        doc.querySelector("#to").value = local(ms + 1000);
      }, first);
      const count = trees.length;
      await page.click("#apply");
      await page.waitForFunction(() =>
        /merged 3 profiles/.test(
          (globalThis as Any).document.querySelector("#range-info").textContent,
        )
      );
      const firstBatch = await trees[count];
      assertEquals([firstBatch.range.merged, firstBatch.total[0]], [
        3,
        expect(Array(3).fill(ALLOCS_1)),
      ]);
      await page.screenshot({ path: `${OUT}flame-range.png`, fullPage: true });
      // The quick "last 5m" takes everything again.
      await page.click('button[data-last="5m"]');
      await page.waitForFunction(() =>
        /merged 6 profiles/.test(
          (globalThis as Any).document.querySelector("#range-info").textContent,
        )
      );

      // ---- diff: the older half (first batch) against the newer half (second batch) -----------
      const before = trees.length;
      await page.click('a:has-text("compare two ranges")');
      await page.waitForURL(`${base}/diff/${checkout.id}`);
      await page.waitForSelector("#flame svg g[data-i]");
      const diff = await trees[before];
      assertEquals([diff.base_range.merged, diff.range.merged], [3, 3]);
      assertEquals(
        [diff.base_total[0], diff.total[0]],
        [expect(Array(3).fill(ALLOCS_1)), expect(Array(3).fill(ALLOCS_2))],
      );
      const changes: number[] = await page.$$eval(
        "#flame g[data-change]",
        (gs) => gs.map((g) => Number(g.getAttribute("data-change"))),
      );
      assert(changes.some((c) => c > 0.02), "a frame whose share grew");
      assert(changes.some((c) => c < -0.02), "a frame whose share shrank");
      const fills = await page.$$eval(
        "#flame g[data-change] rect",
        (rs) => rs.map((r) => r.getAttribute("fill")),
      );
      assert(fills.some((f) => f!.startsWith("hsl(0,")), "red for growth");
      assert(fills.some((f) => f!.startsWith("hsl(130,")), "green for shrinking");
      await page.hover(`#flame g[data-i="1"] rect`);
      const tip = (await page.textContent("#tooltip"))!;
      assert(
        /baseline +comparison\nself share .*\ntotal share .*\nchange of total share [+-]?\d/s
          .test(tip),
        tip,
      );
      const range = (await page.textContent("#range-info"))!;
      assertStringIncludes(range, "baseline: merged 3 profiles");
      assertStringIncludes(range, "comparison: merged 3 profiles");
      await page.screenshot({ path: `${OUT}diff.png`, fullPage: true });
      assertEquals(problems, []);
    } finally {
      await context?.close();
      await collector.shutdown();
      await Deno.remove(userDataDir, { recursive: true });
    }
  },
});
