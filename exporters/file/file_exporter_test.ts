import { admit, demandOf, sized } from "../../core/admission.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/support/assert.ts";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { BackpressureError, TooLargeError } from "../../core/component.ts";
import type { IngestItem, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { gunzipIfNeeded, gzip } from "../../pprof/gzip.ts";
import { isGzip } from "../../pprof/sniff.ts";
import {
  FileExporter,
  fileExporterConfigSchema,
  fileExporterFactory,
  parseByteSize,
} from "./mod.ts";
import { metricValue } from "../../tests/support/metrics.ts";

const conformanceDir = Deno.makeTempDirSync({ prefix: "profcol-file-" });
componentConformance(fileExporterFactory, {
  config: { directory: conformanceDir },
  cleanup: () => Deno.remove(conformanceDir, { recursive: true }).catch(() => {}),
});

const labels = LabelSet.from({ __name__: "memory", service_name: "api", env: "dev" });
const raw = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

function exporter(config: Record<string, unknown> = {}) {
  const directory = Deno.makeTempDirSync({ prefix: "profcol-file-" });
  const settings = testSettings("file/test");
  const parsed = fileExporterConfigSchema.parse({ directory, max_age: "0s", ...config });
  return { directory, settings, exporter: new FileExporter(settings, parsed) };
}

async function indexLines(directory: string, name = "index.jsonl") {
  const text = await Deno.readTextFile(join(directory, name));
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

function listFiles(directory: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(directory)) {
    if (e.isDirectory) {
      for (const f of Deno.readDirSync(join(directory, e.name))) out.push(`${e.name}/${f.name}`);
    } else out.push(e.name);
  }
  return out.sort();
}

async function withExporter(
  config: Record<string, unknown>,
  body: (ctx: ReturnType<typeof exporter>) => Promise<void>,
) {
  const ctx = exporter(config);
  try {
    await ctx.exporter.start();
    await body(ctx);
  } finally {
    await ctx.exporter.shutdown();
    await Deno.remove(ctx.directory, { recursive: true });
  }
}

Deno.test("push samples become gzip files (gzipped only when needed) with index lines", async () => {
  await withExporter({}, async ({ directory, exporter, settings }) => {
    const plain = raw(100);
    const zipped = gzip(raw(50, 3));
    const item: PushItem = {
      kind: "push",
      labels,
      samples: [{ rawProfile: plain, id: "abc" }, { rawProfile: zipped }],
    };
    await admit(exporter, [item]);
    await exporter.flush();
    const lines = await indexLines(directory);
    assertEquals(lines.length, 2);
    assertEquals(lines[0].kind, "push");
    assertEquals(lines[0].labels, { __name__: "memory", env: "dev", service_name: "api" });
    assertEquals(lines[0].id, "abc");
    assertEquals(lines[1].id, undefined);
    assert(/^\d{4}-\d{2}-\d{2}\/\d+-\d{6}\.pb\.gz$/.test(lines[0].file), lines[0].file);
    assert(!Number.isNaN(Date.parse(lines[0].ts)));
    const first = await Deno.readFile(join(directory, lines[0].file));
    assert(isGzip(first));
    assertEquals(gunzipIfNeeded(first, 1000), plain);
    assertEquals(lines[0].bytes, first.byteLength);
    // Already gzipped bytes are written untouched.
    assertEquals(await Deno.readFile(join(directory, lines[1].file)), zipped);
    assertEquals(
      metricValue(settings.metrics.render(), "profcol_file_exporter_written_profiles_total", {
        component_id: "file/test",
      }),
      2,
    );
  });
});

Deno.test("private labels from the scraper are not written; __name__, __delta__, __session_id__ are", async () => {
  await withExporter({}, async ({ directory, exporter }) => {
    const scraped = LabelSet.from({
      __address__: "127.0.0.2:6060",
      __delta__: "false",
      __meta_kubernetes_namespace: "shop",
      __name__: "memory",
      __tmp_profile: "true",
      service_name: "shop/api",
    });
    const ingest: IngestItem = {
      kind: "ingest",
      labels: LabelSet.from({ __name__: "app.cpu", __session_id__: "s1", __tmp_x: "y", env: "a" }),
      body: raw(10),
      contentType: ["text/plain"],
      query: [],
    };
    await admit(exporter, [{ kind: "push", labels: scraped, samples: [{ rawProfile: raw(20) }] }]);
    await admit(exporter, [ingest]);
    await exporter.flush();
    const lines = await indexLines(directory);
    assertEquals(lines[0].labels, {
      __delta__: "false",
      __name__: "memory",
      service_name: "shop/api",
    });
    assertEquals(lines[1].labels, { __name__: "app.cpu", __session_id__: "s1", env: "a" });
    assertEquals(lines[1].name, "app.cpu{__session_id__=s1,env=a}");
  });
});

Deno.test("ingest items keep body, query, content type, and the rebuilt name", async () => {
  await withExporter({}, async ({ directory, exporter }) => {
    const body = new TextEncoder().encode("main;work 10\nmain;idle 3\n");
    const item: IngestItem = {
      kind: "ingest",
      labels: LabelSet.from({ __name__: "my.app.cpu", zone: "b", env: "prod" }),
      body,
      contentType: ["text/plain"],
      query: [["from", "1700000000"], ["spyName", "gospy"], ["from", "dup"]],
    };
    const pprof: IngestItem = {
      kind: "ingest",
      labels: LabelSet.from({ __name__: "app" }),
      body: gzip(raw(20)),
      contentType: ["application/octet-stream"],
      query: [["format", "pprof"]],
    };
    await admit(exporter, [item]);
    await admit(exporter, [pprof]);
    await exporter.flush();
    const [a, b] = await indexLines(directory);
    assertEquals(a.kind, "ingest");
    assertEquals(a.name, "my.app.cpu{env=prod,zone=b}");
    assertEquals(a.query, [["from", "1700000000"], ["spyName", "gospy"], ["from", "dup"]]);
    assertEquals(a.content_type, ["text/plain"]);
    assert(a.file.endsWith(".folded.txt"), a.file);
    assertEquals(await Deno.readFile(join(directory, a.file)), body);
    assert(b.file.endsWith(".pb.gz"), b.file);
    assertEquals(b.name, "app{}");
    assertEquals(await Deno.readFile(join(directory, b.file)), pprof.body);
  });
});

Deno.test("disk use stays under max_total_bytes: the oldest files go first", async () => {
  await withExporter({ max_total_bytes: 8000, max_index_bytes: 2000 }, async (ctx) => {
    const { directory, exporter, settings } = ctx;
    // Random bytes do not compress, so each file is ~1 KiB on disk.
    for (let i = 0; i < 30; i++) {
      const bytes = gzip(crypto.getRandomValues(new Uint8Array(1000)));
      await admit(exporter, [{
        kind: "push",
        labels,
        samples: [{ rawProfile: bytes, id: `s${i}` }],
      }]);
    }
    await exporter.flush();
    let total = 0;
    for (const f of listFiles(directory)) total += (await Deno.stat(join(directory, f))).size;
    assert(total <= 8000, `disk use ${total} exceeds the cap`);
    const m = settings.metrics.render();
    assert(
      /profcol_file_exporter_deleted_files_total\{component_id="file\/test",reason="size"\} [1-9]/
        .test(m),
      m,
    );
    // The newest profile survived, the first one did not.
    const files = listFiles(directory).filter((f) => f.endsWith(".pb.gz"));
    assert(files.length >= 3 && files.length < 30, `${files.length} files`);
    const lines = await indexLines(directory);
    const newest = lines[lines.length - 1];
    assertEquals(newest.id, "s29");
    assert(files.includes(newest.file), "the newest profile is kept");
  });
});

Deno.test("the index rotates by size into index-<n>.jsonl", async () => {
  await withExporter({ max_index_bytes: 400 }, async ({ directory, exporter }) => {
    for (let i = 0; i < 6; i++) {
      await admit(exporter, [{ kind: "push", labels, samples: [{ rawProfile: gzip(raw(10)) }] }]);
    }
    await exporter.flush();
    const names = listFiles(directory).filter((f) => f.startsWith("index"));
    assert(names.includes("index-1.jsonl") && names.includes("index.jsonl"), names.join());
    let lines = 0;
    for (const name of names) {
      const size = (await Deno.stat(join(directory, name))).size;
      assert(size <= 400, `${name} is ${size} bytes`);
      lines += (await indexLines(directory, name)).length;
    }
    assertEquals(lines, 6);
  });
});

Deno.test("files older than max_age are deleted", async () => {
  await withExporter({ max_age: "50ms" }, async ({ directory, exporter, settings }) => {
    await admit(exporter, [{ kind: "push", labels, samples: [{ rawProfile: gzip(raw(10)) }] }]);
    await exporter.flush();
    const [first] = await indexLines(directory);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await admit(exporter, [{ kind: "push", labels, samples: [{ rawProfile: gzip(raw(11)) }] }]);
    await exporter.flush();
    const files = listFiles(directory).filter((f) => f.endsWith(".pb.gz"));
    assertEquals(files.length, 1);
    assert(!files.includes(first.file));
    assertEquals(
      metricValue(settings.metrics.render(), "profcol_file_exporter_deleted_files_total", {
        reason: "age",
      }),
      1,
    );
  });
});

Deno.test("files of an earlier run count against the cap after a restart", async () => {
  const first = exporter();
  await first.exporter.start();
  for (let i = 0; i < 5; i++) {
    const bytes = gzip(crypto.getRandomValues(new Uint8Array(1000)));
    await admit(first.exporter, [{ kind: "push", labels, samples: [{ rawProfile: bytes }] }]);
  }
  await first.exporter.shutdown();
  const directory = first.directory;
  const before = listFiles(directory).filter((f) => f.endsWith(".pb.gz"));
  assertEquals(before.length, 5);
  const parsed = fileExporterConfigSchema.parse({
    directory,
    max_age: "0s",
    max_total_bytes: 2600,
    max_index_bytes: 1000,
  });
  const second = new FileExporter(testSettings("file/again"), parsed);
  await second.start();
  await second.shutdown();
  const after = listFiles(directory).filter((f) => f.endsWith(".pb.gz"));
  assert(after.length < 5 && after.length > 0, `${after.length} files left`);
  assertEquals(after, before.slice(before.length - after.length), "the newest are kept");
  await Deno.remove(directory, { recursive: true });
});

Deno.test("a full queue answers with backpressure; shutdown writes what was queued", async () => {
  const ctx = exporter({ queue_size: 2, queue_bytes: "1KiB" });
  const item = (n: number): PushItem => ({
    kind: "push",
    labels,
    samples: [{ rawProfile: gzip(raw(n)) }],
  });
  try {
    // Not started: the writer still runs, but nothing is awaited until shutdown.
    await admit(ctx.exporter, [item(10)]);
    await admit(ctx.exporter, [item(10)]);
    assertThrows(() => ctx.exporter.check(demandOf([sized(item(10))])), BackpressureError);
    await assertRejects(admit(ctx.exporter, [item(10)]), BackpressureError);
    await ctx.exporter.shutdown();
    assertEquals((await indexLines(ctx.directory)).length, 2);
    assertThrows(() => ctx.exporter.check({ items: 1, bytes: 0 }), BackpressureError);
    await assertRejects(admit(ctx.exporter, [item(10)]), BackpressureError, "shutting down");
    await ctx.exporter.shutdown();
  } finally {
    await Deno.remove(ctx.directory, { recursive: true });
  }
});

Deno.test("a request larger than queue_size or queue_bytes is too large, even when idle", async () => {
  const ctx = exporter({ queue_size: 2, queue_bytes: 100 });
  const one = (size: number): PushItem => ({
    kind: "push",
    labels,
    samples: [{ rawProfile: gzip(crypto.getRandomValues(new Uint8Array(size))) }],
  });
  try {
    assertThrows(() => ctx.exporter.check(demandOf([sized(one(500))])), TooLargeError);
    await assertRejects(admit(ctx.exporter, [one(500)]), TooLargeError, "queue_bytes (100)");
    await assertRejects(admit(ctx.exporter, [one(1), one(1), one(1)]), TooLargeError, "queue_size");
    await admit(ctx.exporter, [one(1), one(1)]);
    await ctx.exporter.shutdown();
    assertEquals((await indexLines(ctx.directory)).length, 2);
  } finally {
    await Deno.remove(ctx.directory, { recursive: true });
  }
});

Deno.test("write errors drop with a reason instead of throwing", async () => {
  const ctx = exporter();
  // A file where the directory should be: mkdir fails.
  await Deno.remove(ctx.directory, { recursive: true });
  await Deno.writeTextFile(ctx.directory, "not a directory");
  try {
    await assertRejects(ctx.exporter.start(), Error, /cannot create directory/);
    await admit(ctx.exporter, [{ kind: "push", labels, samples: [{ rawProfile: raw(5) }] }]);
    await ctx.exporter.shutdown();
    assertEquals(
      metricValue(ctx.settings.metrics.render(), "profcol_file_exporter_dropped_profiles_total", {
        reason: "write_error",
      }),
      1,
    );
  } finally {
    await Deno.remove(ctx.directory);
  }
});

Deno.test("config: byte sizes, durations, defaults and clear errors", () => {
  assertEquals(parseByteSize("512MiB"), 512 * 1024 * 1024);
  assertEquals(parseByteSize("64KB"), 64_000);
  assertEquals(parseByteSize("1048576"), 1048576);
  const parsed = fileExporterConfigSchema.parse({});
  assertEquals(parsed.directory, "./data/profiles");
  assertEquals(parsed.max_total_bytes, 512 * 1024 * 1024);
  assertEquals(parsed.max_age, 24 * 3600 * 1000);
  const bad = fileExporterConfigSchema.safeParse({ max_total_bytes: "lots", max_age: "15x" });
  assert(!bad.success);
  const messages = bad.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert(
    messages.includes(
      'max_total_bytes: Expected a byte size such as 512MiB, 64KB or 1048576, got "lots"',
    ),
    messages.join("\n"),
  );
  assert(messages.includes('max_age: Cannot parse "15x" as a duration'), messages.join("\n"));
  const tooBigIndex = fileExporterConfigSchema.safeParse({
    max_total_bytes: 10,
    max_index_bytes: 20,
  });
  assert(!tooBigIndex.success);
});

const testdata = (name: string) =>
  parseYaml(Deno.readTextFileSync(new URL(`./testdata/${name}`, import.meta.url)));

Deno.test("testdata: the valid config parses, the typo config names the bad key", () => {
  const valid = fileExporterConfigSchema.parse(testdata("valid.yaml").exporters.file);
  assertEquals(valid.max_total_bytes, 1024 ** 3);
  const typo = fileExporterConfigSchema.safeParse(testdata("typo.yaml").exporters.file);
  assert(!typo.success);
  assert(typo.error.issues.some((i) => i.message.includes("max_totl_bytes")), typo.error.message);
});

Deno.test("the README's YAML example is a valid config", () => {
  const readme = Deno.readTextFileSync(new URL("./README.md", import.meta.url));
  const block = /```yaml\n([\s\S]*?)```/.exec(readme);
  assert(block, "README has a yaml block");
  const config = parseYaml(block[1]!);
  const parsed = fileExporterConfigSchema.parse(config.exporters.file);
  assertEquals(parsed.directory, "./data/profiles");
});

Deno.test("one request of 200,000 items is queued without spreading them onto the stack", async () => {
  const ctx = exporter({ queue_size: 300_000 });
  // A file where the directory should be: every item is dropped at once, no disk work.
  await Deno.remove(ctx.directory, { recursive: true });
  await Deno.writeTextFile(ctx.directory, "not a directory");
  const rawProfile = raw(1);
  const items = Array.from({ length: 200_000 }, (): PushItem => ({
    kind: "push",
    labels,
    samples: [{ rawProfile }],
  }));
  try {
    await admit(ctx.exporter, items);
    await ctx.exporter.flush();
    await ctx.exporter.shutdown();
    assertEquals(
      metricValue(ctx.settings.metrics.render(), "profcol_file_exporter_dropped_profiles_total", {
        reason: "write_error",
      }),
      200_000,
    );
  } finally {
    await Deno.remove(ctx.directory);
  }
});
