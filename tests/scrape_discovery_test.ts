/**
 * Discovery driving scrape loops: file_sd edits add and remove loops within one refresh
 * (unchanged loops are kept, not restarted); an http_sd server that fails keeps the last good
 * target set.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";

// Only goroutine profiles, scraped hourly: these tests look at loops, not at scrapes.
const profiling = {
  "profile.process_cpu": { enabled: false },
  "profile.block": { enabled: false },
  "profile.mutex": { enabled: false },
  "profile.memory": { enabled: false },
};

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const instances = (r: ScrapeReceiver) =>
  r.loops.map((l) => l.target.labels.get("instance") ?? "").sort();

Deno.test("file_sd: edits add and remove loops within one refresh; unchanged loops survive", async () => {
  const dir = await Deno.makeTempDir();
  const json = `${dir}/a.json`;
  await Deno.writeTextFile(
    json,
    JSON.stringify([{ targets: ["127.0.0.1:9"], labels: { env: "a" } }]),
  );
  await Deno.writeTextFile(`${dir}/ignored.txt`, "not matched by the glob");
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape"),
    scrapeConfigSchema.parse({
      scrape_interval: "1h",
      profiling_config: profiling,
      file_sd_configs: [{ files: [`${dir}/*.json`, `${dir}/*.yaml`], refresh_interval: "300ms" }],
    }),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    assertEquals(instances(receiver), ["127.0.0.1:9"]);
    const first = receiver.loops[0]!;
    assertEquals(first.target.labels.get("__meta_filepath"), json);

    await Deno.writeTextFile(
      `${dir}/b.yaml`,
      "- targets: ['127.0.0.1:10']\n  labels: { env: b }\n",
    );
    await until(() => receiver.loops.length === 2, "the YAML file's target");
    assert(receiver.loops.includes(first), "the unchanged loop kept running");

    // A broken edit keeps the file's previous targets.
    await Deno.writeTextFile(json, "[{ not json");
    await new Promise((r) => setTimeout(r, 400));
    assertEquals(instances(receiver), ["127.0.0.1:10", "127.0.0.1:9"]);

    await Deno.remove(`${dir}/b.yaml`);
    await Deno.writeTextFile(
      json,
      JSON.stringify([{ targets: ["127.0.0.1:9"], labels: { env: "a" } }]),
    );
    await until(() => receiver.loops.length === 1, "the removed file's loop to stop");
    assert(receiver.loops[0] === first);
  } finally {
    await receiver.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http_sd: errors keep the last good target set; auth headers are sent", async () => {
  let mode: "good" | "error" | "garbage" | "next" = "good";
  let requests = 0;
  let auth = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests++;
    auth = req.headers.get("authorization") ?? "";
    if (mode === "error") return new Response("down", { status: 503 });
    if (mode === "garbage") return Response.json({ not: "a list" });
    const targets = mode === "good" ? ["127.0.0.1:9", "127.0.0.1:10"] : ["127.0.0.1:11"];
    return Response.json([{ targets, labels: { team: "x" } }]);
  });
  const url = `http://127.0.0.1:${server.addr.port}/sd`;
  const receiver = new ScrapeReceiver(
    testSettings("pyroscope.scrape"),
    scrapeConfigSchema.parse({
      scrape_interval: "1h",
      profiling_config: profiling,
      http_sd_configs: [{ url, refresh_interval: "100ms", bearer_token: "sd-token" }],
    }),
    new RecordingConsumer(),
  );
  try {
    await receiver.start();
    assertEquals(instances(receiver), ["127.0.0.1:10", "127.0.0.1:9"]);
    assertEquals(auth, "Bearer sd-token");
    assertEquals(receiver.loops[0]!.target.labels.get("__meta_url"), url);
    for (const failing of ["error", "garbage"] as const) {
      mode = failing;
      const before = requests;
      await until(() => requests >= before + 2, `${failing} refreshes`);
      assertEquals(instances(receiver), ["127.0.0.1:10", "127.0.0.1:9"]);
    }
    mode = "next";
    await until(() => instances(receiver).join() === "127.0.0.1:11", "the next good set");
  } finally {
    await receiver.shutdown();
    await server.shutdown();
  }
});

Deno.test("sharding: two shards split the discovered targets without overlap", async () => {
  const targets = Array.from({ length: 20 }, (_, i) => ({ __address__: `10.1.0.${i}:6060` }));
  const seen: string[] = [];
  for (const shard of [0, 1]) {
    const receiver = new ScrapeReceiver(
      testSettings("pyroscope.scrape"),
      scrapeConfigSchema.parse({
        scrape_interval: "1h",
        profiling_config: profiling,
        targets,
        sharding: { shard_index: String(shard), total_shards: "2" },
      }),
      new RecordingConsumer(),
    );
    try {
      await receiver.start();
      assert(receiver.loops.length > 0 && receiver.loops.length < 20);
      seen.push(...instances(receiver));
    } finally {
      await receiver.shutdown();
    }
  }
  assertEquals(seen.sort(), targets.map((t) => t.__address__).sort());
});
