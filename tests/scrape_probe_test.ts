/**
 * `profiling_config.probe_index` over real sockets on 127.0.0.1: a Go-style `/debug/pprof/`
 * index listing some types → only those scraped (godeltaprof's unlisted handlers still are);
 * no index → every enabled type, with the reason in the status; a target answering an HTML
 * login page → the precise error; a 404 re-reads the index; the served types on
 * `/api/v1/targets` of a running collector.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";
import { Profcol, tempConfig } from "./support/process.ts";

const goroutine = Deno.readFileSync(new URL("../pprof/testdata/goroutine.pb.gz", import.meta.url));

/** The index page as Go's net/http/pprof writes it, listing `names`. */
function goIndex(names: readonly string[]): string {
  const rows = names.map((n) => `<tr><td>1</td><td><a href='${n}?debug=1'>${n}</a></td></tr>`);
  return `<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n` +
    `<table>\n<thead><td>Count</td><td>Profile</td></thead>\n${rows.join("\n")}\n</table>\n` +
    `<a href="goroutine?debug=2">full goroutine stack dump</a>\n</body>\n</html>\n`;
}

const LOGIN = "<!DOCTYPE html><html><head><title>Login</title></head><body>sign in</body></html>";

/**
 * A pprof target: `index` is the names its index lists (`undefined`: no index, 404), every
 * profile path it serves answers the goroutine fixture; `login` answers an HTML page for all.
 */
function target(options: { index?: string[]; serves?: string[]; login?: boolean }) {
  const hits: string[] = [];
  const state = { ...options };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (state.login) {
      return new Response(LOGIN, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (path === "/debug/pprof/" && state.index) {
      return new Response(goIndex(state.index), { headers: { "content-type": "text/html" } });
    }
    const name = path.slice("/debug/pprof/".length);
    if (state.serves?.includes(name)) {
      return new Response(goroutine, { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return { address: `127.0.0.1:${server.addr.port}`, server, hits, state };
}

const config = (address: string, profiles: Record<string, unknown> = {}) =>
  scrapeConfigSchema.parse({
    targets: [{ __address__: address, service_name: "app" }],
    scrape_interval: "100ms",
    scrape_timeout: "2s",
    profiling_config: {
      probe_index: true,
      "profile.process_cpu": { enabled: false },
      "profile.block": { enabled: false },
      "profile.mutex": { enabled: false },
      ...profiles,
    },
  });

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Per scraped type: what the status says about it, sorted by type. */
function statusByType(receiver: ScrapeReceiver) {
  return receiver.status().map((s) => ({
    type: s.profile_type,
    served_types: s.served_types,
    probe_error: s.probe_error ?? "",
  })).sort((a, b) => a.type < b.type ? -1 : 1);
}

const scrapedOnce = (hits: string[], path: string) => hits.includes(path);

Deno.test("probe_index: only the enabled types a Go-style index lists are scraped (and godeltaprof's)", async () => {
  const served = ["cmdline", "goroutine", "heap", "profile", "threadcreate", "trace"];
  const peer = target({ index: served, serves: [...served, "allocs", "delta_heap"] });
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape/probe"),
    config(peer.address, { "profile.godeltaprof_memory": { enabled: true } }),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    await until(
      () =>
        peer.hits.filter((p) => p === "/debug/pprof/goroutine").length >= 3 &&
        scrapedOnce(peer.hits, "/debug/pprof/delta_heap"),
      "goroutine and delta_heap scrapes",
    );
    // memory (allocs) is enabled by default, but this index does not list it.
    assertEquals(peer.hits.filter((p) => p === "/debug/pprof/allocs"), []);
    assertEquals(peer.hits.filter((p) => p === "/debug/pprof/"), ["/debug/pprof/"]);
    assertEquals(statusByType(receiver), [
      { type: "godeltaprof_memory", served_types: served, probe_error: "" },
      { type: "goroutine", served_types: served, probe_error: "" },
    ]);
  } finally {
    await receiver.shutdown();
    await peer.server.shutdown();
  }
});

Deno.test("probe_index: a target without an index gets every enabled type scraped, and says why", async () => {
  const peer = target({ serves: ["allocs", "goroutine"] });
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape/probe"),
    config(peer.address),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    await until(
      () =>
        scrapedOnce(peer.hits, "/debug/pprof/allocs") &&
        scrapedOnce(peer.hits, "/debug/pprof/goroutine"),
      "allocs and goroutine scrapes",
    );
    const probe_error = `pprof index http://${peer.address}/debug/pprof/ unreadable ` +
      `(HTTP 404: 404 page not found); scraping every enabled profile type`;
    assertEquals(statusByType(receiver), [
      { type: "goroutine", served_types: null, probe_error },
      { type: "memory", served_types: null, probe_error },
    ]);
  } finally {
    await receiver.shutdown();
    await peer.server.shutdown();
  }
});

Deno.test("probe_index: a target answering an HTML login page gets a precise error", async () => {
  const peer = target({ login: true });
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape/probe"),
    config(peer.address, { "profile.memory": { enabled: false } }),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    await until(() => receiver.status()[0]?.health === "down", "the goroutine scrape failing");
    const url = `http://${peer.address}/debug/pprof/goroutine`;
    const [status] = receiver.status();
    assertEquals({ error: status!.last_error, probe: status!.probe_error }, {
      error: `goroutine profile from ${url} answered text/html ` +
        `(an HTML page: "<title>Login</title>…") where a pprof profile was expected`,
      probe: `pprof index http://${peer.address}/debug/pprof/ is not a pprof index ` +
        `(an HTML page: "<title>Login</title>…"); scraping every enabled profile type`,
    });
  } finally {
    await receiver.shutdown();
    await peer.server.shutdown();
  }
});

Deno.test("probe_index: a 404 reads the index again and stops scraping a type no longer listed", async () => {
  const peer = target({ index: ["allocs", "goroutine"], serves: ["allocs", "goroutine"] });
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape/probe"),
    config(peer.address),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    await until(() => receiver.status().length === 2, "both types scraped");
    // The target drops its allocs profile (and its index says so).
    peer.state.index = ["goroutine"];
    peer.state.serves = ["goroutine"];
    await until(
      () => receiver.status().map((s) => s.profile_type).join() === "goroutine",
      "the memory loop stopped after the 404",
    );
    assertEquals(peer.hits.filter((p) => p === "/debug/pprof/").length, 2);
  } finally {
    await receiver.shutdown();
    await peer.server.shutdown();
  }
});

Deno.test("probe_index: /api/v1/targets and the console's /targets show each target's served types", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-probe-" });
  const peer = target({ index: ["goroutine", "heap"], serves: ["goroutine"] });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const adminPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const path = tempConfig(
    `receivers:
  pyroscope.scrape/probed:
    targets: [{ __address__: "${peer.address}", service_name: app }]
    scrape_interval: 1s
    profiling_config:
      probe_index: true
      profile.process_cpu: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
exporters:
  file: { directory: ${dir}/out }
service:
  pipelines:
    profiles: { receivers: [pyroscope.scrape/probed], exporters: [file] }
  telemetry:
    http: { listen_address: 127.0.0.1, listen_port: ${adminPort} }
`,
    dir,
  );
  const proc = new Profcol(["run", "--config", path], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    type Entry = { profile_type: string; served_types?: string[] | null };
    let entries: Entry[] = [];
    for (let i = 0; i < 200 && entries.length === 0; i++) {
      entries = await (await fetch(`${admin}/api/v1/targets`)).json() as Entry[];
      if (entries.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert(entries.length > 0, "the probed target is listed");
    assertEquals(
      entries.map((e) => ({ type: e.profile_type, served: e.served_types })),
      [{ type: "goroutine", served: ["goroutine", "heap"] }],
    );
    // The console's targets page says the same under the target's badges.
    const page = await (await fetch(`${admin}/targets`)).text();
    const served = [...page.matchAll(/<span class="muted served">([^<]*)<\/span>/g)].map((m) =>
      m[1]
    );
    assertEquals(served, ["index lists: goroutine, heap"]);
  } finally {
    await proc.kill();
    await peer.server.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});
