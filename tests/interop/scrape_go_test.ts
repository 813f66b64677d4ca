/**
 * Interop: pyroscope.scrape against a real Go `net/http/pprof` server
 * (tests/support/go_pprof_target). Every default profile type is scraped; CPU profiles carry
 * `__name__=process_cpu`, `service_name`, `job` and `instance`; memory deltas carry
 * `__delta__="false"`; the first memory scrape only primes the delta; `go tool pprof -raw`
 * reads every delivered profile. With `probe_index`, the real Go index is read and only the
 * enabled types it lists are scraped.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import type { Consumer } from "../../core/component.ts";
import type { Item, PushItem } from "../../core/items.ts";
import { testSettings } from "../../core/testing/conformance.ts";
import { scrapeConfigSchema } from "../../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../../receivers/pyroscope_scrape/scrape_receiver.ts";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";

const ignore = skipUnlessPeer("go", "needed to build tests/support/go_pprof_target");

async function startTarget(dir: string) {
  const binary = join(dir, "go_pprof_target");
  const env: Record<string, string> = { CGO_ENABLED: "0" };
  if (!Deno.env.get("HOME")) env.HOME = dir;
  if (!Deno.env.get("GOCACHE") && !Deno.env.get("HOME")) env.GOCACHE = join(dir, "gocache");
  const build = await new Deno.Command("go", {
    args: ["build", "-o", binary, "."],
    cwd: new URL("../support/go_pprof_target/", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!build.success) throw new Error(`go build failed: ${new TextDecoder().decode(build.stderr)}`);
  const child = new Deno.Command(binary, { stdin: "piped", stdout: "piped", stderr: "null" })
    .spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const stop = async () => {
    await child.stdin.close();
    await reader.cancel();
    await child.status;
  };
  const address = /listening on (127\.0\.0\.1:\d+)/.exec(text)?.[1];
  if (!address) {
    await stop();
    throw new Error(`Go target did not report its address: ${text}`);
  }
  return { address, stop };
}

Deno.test({
  name: "interop: scrape a real Go net/http/pprof server for every default profile type",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profcol-scrape-go-" });
    const target = await startTarget(dir);
    const items: PushItem[] = [];
    // deno-lint-ignore prefer-const -- assigned after the sink that reads it is built
    let receiver: ScrapeReceiver | undefined;
    let memScrapesAtFirstForward = -1;
    const sink: Consumer = {
      consume(request: readonly Item[]) {
        for (const item of request) {
          const push = item as PushItem;
          if (push.labels.get("__name__") === "memory" && memScrapesAtFirstForward < 0) {
            const loop = receiver!.loops.find((l) => l.target.profileType === "memory")!;
            memScrapesAtFirstForward = loop.scrapes;
          }
          items.push(push);
        }
        return Promise.resolve();
      },
      check() {},
    };
    receiver = new ScrapeReceiver(
      testSettings("pyroscope.scrape/go"),
      scrapeConfigSchema.parse({
        targets: [{ __address__: target.address, service_name: "go-target" }],
        scrape_interval: "2s",
        scrape_timeout: "5s",
      }),
      sink,
    );
    try {
      await receiver.start();
      const types = ["process_cpu", "memory", "block", "mutex", "goroutine"];
      const deadline = Date.now() + 20_000;
      const have = () => types.every((t) => items.some((i) => i.labels.get("__name__") === t));
      while (!have() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const down = receiver.status().filter((s) => s.health === "down");
      assertEquals(down.map((s) => s.last_error), []);
      assert(
        have(),
        `missing types: ${types.filter((t) => !items.some((i) => i.labels.get("__name__") === t))}`,
      );

      const cpu = items.find((i) => i.labels.get("__name__") === "process_cpu")!;
      assertEquals(cpu.labels.get("service_name"), "go-target");
      assertEquals(cpu.labels.get("job"), "pyroscope.scrape.go");
      assertEquals(cpu.labels.get("instance"), target.address);
      assertEquals(cpu.labels.has("__delta__"), false);
      assert(receiver.loops.find((l) => l.target.profileType === "process_cpu")!.target.url
        .endsWith("/debug/pprof/profile?seconds=1"));
      for (const type of ["memory", "block", "mutex"]) {
        const delta = items.find((i) => i.labels.get("__name__") === type)!;
        assertEquals(delta.labels.get("__delta__"), "false", type);
      }
      assertEquals(memScrapesAtFirstForward, 1, "the first memory scrape only primed the delta");

      for (const type of types) {
        const item = items.find((i) => i.labels.get("__name__") === type)!;
        const file = join(dir, `${type}.pb.gz`);
        await Deno.writeFile(file, item.samples[0]!.rawProfile);
        const raw = await goToolPprofRaw(file);
        assert(raw.includes("Samples:"), `${type}: ${raw.slice(0, 200)}`);
      }
    } finally {
      await receiver.shutdown();
      await target.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "interop: probe_index reads a real Go net/http/pprof index; unlisted types are not scraped",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profcol-probe-go-" });
    const target = await startTarget(dir);
    const receiver = new ScrapeReceiver(
      testSettings("pyroscope.scrape/go"),
      scrapeConfigSchema.parse({
        targets: [{ __address__: target.address, service_name: "go-target" }],
        scrape_interval: "1s",
        scrape_timeout: "5s",
        profiling_config: {
          probe_index: true,
          "profile.process_cpu": { enabled: false },
          "profile.block": { enabled: false },
          "profile.mutex": { enabled: false },
          // Judged by the index (under /debug/pprof/) and not listed by Go: never scraped.
          "profile.custom": { not_served: { enabled: true, path: "/debug/pprof/not_served" } },
        },
      }),
      { consume: () => Promise.resolve(), check() {} },
    );
    try {
      await receiver.start();
      const deadline = Date.now() + 20_000;
      const scraped = () => receiver.status().filter((s) => s.health === "up");
      while (scraped().length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // Go's index (net/http/pprof) lists the runtime's profiles plus its other handlers.
      const goIndex = [
        "allocs",
        "block",
        "cmdline",
        "goroutine",
        "heap",
        "mutex",
        "profile",
        "symbol",
        "threadcreate",
        "trace",
      ];
      assertEquals(
        receiver.status().map((s) => ({
          type: s.profile_type,
          health: s.health,
          served: s.served_types,
        })).sort((a, b) => a.type < b.type ? -1 : 1),
        [
          { type: "goroutine", health: "up", served: goIndex },
          { type: "memory", health: "up", served: goIndex },
        ],
      );
    } finally {
      await receiver.shutdown();
      await target.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
