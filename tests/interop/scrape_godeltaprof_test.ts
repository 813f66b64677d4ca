/**
 * Interop: `pyroscope.scrape` with `profile.godeltaprof_memory`, `profile.godeltaprof_mutex`
 * and `profile.godeltaprof_block` against a real Go target using
 * github.com/grafana/pyroscope-go/godeltaprof/http/pprof (tests/interop/gopeers `deltaprof`),
 * which serves `/debug/pprof/delta_heap`, `delta_mutex`, `delta_block`. The target prints each
 * body it served (godeltaprof is stateful, so the bytes cannot be fetched twice).
 *
 * Checked: the types arrive named as Alloy sends them (`godeltaprof_memory`, `godeltaprof_mutex`,
 * `godeltaprof_block`) without `__delta__` (the server's ingestion relabeling handles both);
 * every forwarded profile is byte-identical to one the target served, the very first scrape
 * included (no client-side delta, no priming: the target already deltas); google/pprof reads
 * them with godeltaprof's sample types; the plain types were not scraped.
 */
import { assert, assertEquals } from "../support/assert.ts";
import type { Consumer } from "../../core/component.ts";
import type { Item, PushItem } from "../../core/items.ts";
import { testSettings } from "../../core/testing/conformance.ts";
import { decodeBase64Any as decodeBase64 } from "../../core/wire/push_json.ts";
import { scrapeConfigSchema } from "../../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../../receivers/pyroscope_scrape/scrape_receiver.ts";
import { jsonLines, runGoPeer, skipUnlessGoPeers, startGoServer } from "../support/gopeers.ts";

const ignore = skipUnlessGoPeers("godeltaprof target");

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const EXPECTED: Record<string, { path: string; types: string[] }> = {
  godeltaprof_memory: {
    path: "/debug/pprof/delta_heap",
    types: ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"],
  },
  godeltaprof_mutex: {
    path: "/debug/pprof/delta_mutex",
    types: ["contentions/count", "delay/nanoseconds"],
  },
  godeltaprof_block: {
    path: "/debug/pprof/delta_block",
    types: ["contentions/count", "delay/nanoseconds"],
  },
};

Deno.test({
  name: "interop: scrape godeltaprof's delta_heap/mutex/block; forwarded as served, no 2nd delta",
  ignore,
  async fn() {
    const target = await startGoServer(["deltaprof"]);
    const items: PushItem[] = [];
    const sink: Consumer = {
      consume(request: readonly Item[]) {
        for (const item of request) items.push(item as PushItem);
        return Promise.resolve();
      },
      check() {},
    };
    const off = { enabled: false };
    const receiver = new ScrapeReceiver(
      testSettings("pyroscope.scrape/godeltaprof"),
      scrapeConfigSchema.parse({
        targets: [{ __address__: target.address, service_name: "godeltaprof-target" }],
        scrape_interval: "1s",
        scrape_timeout: "5s",
        profiling_config: {
          "profile.process_cpu": off,
          "profile.memory": off,
          "profile.block": off,
          "profile.mutex": off,
          "profile.goroutine": off,
          "profile.godeltaprof_memory": { enabled: true },
          "profile.godeltaprof_mutex": { enabled: true },
          "profile.godeltaprof_block": { enabled: true },
        },
      }),
      sink,
    );
    try {
      await receiver.start();
      const count = (type: string) => items.filter((i) => i.labels.get("__name__") === type).length;
      const deadline = Date.now() + 20_000;
      while (Object.keys(EXPECTED).some((t) => count(t) < 2) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await receiver.shutdown();
      const down = receiver.status().filter((s) => s.health === "down");
      assertEquals(down.map((s) => s.last_error), []);
      assertEquals(
        [...new Set(items.map((i) => i.labels.get("__name__")))].sort(),
        ["godeltaprof_block", "godeltaprof_memory", "godeltaprof_mutex"],
        "only the godeltaprof types were scraped, under their own names",
      );
      // What the target served (its log line may trail the response a little).
      await new Promise((r) => setTimeout(r, 200));
      const servedLog = jsonLines<{ path: string; status: number; body: string }>(
        target.lines.join("\n"),
      );
      const served = new Map(servedLog.map((s) => [hex(decodeBase64(s.body)), s.path]));

      const dir = Deno.makeTempDirSync({ prefix: "profcol-godeltaprof-" });
      try {
        for (const [type, { path, types }] of Object.entries(EXPECTED)) {
          const forwarded = items.filter((i) => i.labels.get("__name__") === type);
          assert(forwarded.length >= 2, `${type}: ${forwarded.length} profiles forwarded`);
          const servedHere = servedLog.filter((s) => s.path === path);
          // Every scrape is forwarded, the first one too: nothing is held back to prime a delta
          // (one scrape may have been cut short by the shutdown after the target logged it).
          assert(
            forwarded.length >= servedHere.length - 1,
            `${type}: ${forwarded.length} forwarded of ${servedHere.length} served`,
          );
          assertEquals(
            hex(forwarded[0]!.samples[0]!.rawProfile),
            hex(decodeBase64(servedHere[0]!.body)),
            `${type}: the first scrape is forwarded as served`,
          );
          const files: string[] = [];
          for (const [n, item] of forwarded.entries()) {
            assertEquals(item.labels.has("__delta__"), false, type);
            assertEquals(item.labels.get("service_name"), "godeltaprof-target");
            const raw = item.samples[0]!.rawProfile;
            assertEquals(
              served.get(hex(raw)),
              path,
              `${type} #${n} is byte-identical to a body served`,
            );
            files.push(`${dir}/${type}-${n}.pb.gz`);
            Deno.writeFileSync(files.at(-1)!, raw);
          }
          const summaries = jsonLines<{ sample_types: string[] }>(
            (await runGoPeer(["pprof-summary", ...files])).stdout,
          );
          for (const summary of summaries) assertEquals(summary.sample_types, types, type);
        }
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    } finally {
      await receiver.shutdown();
      await target.stop();
    }
  },
});
