import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "../../tests/support/assert.ts";
import { ProtoDecodeError } from "../../core/wire/protobuf.ts";
import { parse as parseYaml } from "yaml";
import type { IngestItem, PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { Logger } from "../../core/telemetry/logger.ts";
import { gunzip, gzip } from "../../pprof/gzip.ts";
import { isGzip } from "../../pprof/sniff.ts";
import { decodeProfile, emptyProfile, encodeProfile, type Profile } from "../../pprof/profile.ts";
import { compileRelabelRules } from "../../core/relabel/mod.ts";
import {
  createSampleRules,
  rewriteSampleLabels,
  type SampleLabelsConfig,
  sampleLabelsProcessorFactory,
} from "./mod.ts";
import { builtinFactories } from "../../components.ts";
import { loadAndValidate } from "../../core/config/mod.ts";
import { Registry } from "../../core/registry.ts";
import { tracedProfile } from "./testdata/traced_profile.ts";

componentConformance(sampleLabelsProcessorFactory, {
  config: { rule: [{ regex: "span_id|trace_id", action: "labeldrop" }] },
});

const dir = new URL("./", import.meta.url);
const ID = { component_id: "sample_labels/test" };

function create(config: unknown, settings = testSettings("sample_labels/test")) {
  const parsed = sampleLabelsProcessorFactory.configSchema.parse(config);
  return { processor: sampleLabelsProcessorFactory.create(settings, parsed), settings };
}

function counter(settings: ReturnType<typeof testSettings>, name: string, labels = ID): number {
  return settings.metrics.counter(name, "", []).get(labels);
}

function push(...profiles: Uint8Array[]): PushItem {
  return {
    kind: "push",
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "shop" }),
    samples: profiles.map((rawProfile) => ({ rawProfile })),
  };
}

/** The profile of the first sample of what `processor` made of `profile` (gzip or not). */
async function rewritten(
  processor: ReturnType<typeof create>["processor"],
  profile: Uint8Array,
): Promise<Uint8Array> {
  const out = (await processor.process(push(profile))) as PushItem;
  return out.samples[0]!.rawProfile;
}

function plain(bytes: Uint8Array): Uint8Array {
  return isGzip(bytes) ? gunzip(bytes, { maxBytes: 1 << 28 }) : bytes;
}

/** Each sample's string labels by name, numeric labels as `name=num unit`. */
function sampleLabels(p: Profile): Record<string, string>[] {
  return p.sample.map((sample) => {
    const out: Record<string, string> = {};
    for (const label of sample.label) {
      const key = p.stringTable[label.key]!;
      out[key] = label.str !== 0
        ? p.stringTable[label.str]!
        : `=${label.num} ${p.stringTable[label.numUnit]}`;
    }
    return out;
  });
}

/** Sum of each sample type's values. */
function totals(p: Profile): number[] {
  const sums = p.sampleType.map(() => 0);
  for (const sample of p.sample) sample.value.forEach((v, i) => sums[i]! += v);
  return sums;
}

/** Everything of a profile but its samples and the strings appended after `strings`. */
function withoutSamples(p: Profile, strings: number): unknown {
  return { ...p, sample: [], stringTable: p.stringTable.slice(0, strings) };
}

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));

Deno.test("sample_labels: testdata/valid.yaml validates, typo.yaml names the key", () => {
  const schema = sampleLabelsProcessorFactory.configSchema;
  const valid = parseYaml(Deno.readTextFileSync(new URL("testdata/valid.yaml", dir)));
  const result = schema.safeParse(valid.processors["sample_labels/traces"]);
  assert(result.success, result.error?.message);
  assertStrictEquals(result.data.max_decompressed_size, 16 * 1024 * 1024);
  const typo = parseYaml(Deno.readTextFileSync(new URL("testdata/typo.yaml", dir)));
  const bad = schema.safeParse(typo.processors.sample_labels);
  assert(!bad.success);
  assert(bad.error.issues[0]?.message.includes("max_decompressed_bytes"), bad.error.message);
  const defaults = schema.parse({});
  assertEquals(defaults, schema.parse(sampleLabelsProcessorFactory.createDefaultConfig()));
  assertEquals(defaults, {
    rule: [],
    max_decompressed_size: 64 * 1024 * 1024,
    max_cache_size: 10_000,
  });
});

Deno.test("sample_labels: a repeated key keeps its last value, as the rules saw it", () => {
  const p = emptyProfile();
  p.stringTable.push("samples", "count", "endpoint", "/a", "/b");
  p.sampleType.push({ type: 1, unit: 2 });
  const label = (str: number) => ({ key: 3, str, num: 0, numUnit: 0 });
  p.sample.push({ locationId: [], value: [5], label: [label(4), label(5)] });
  const rules = createSampleRules(
    compileRelabelRules([{ source_labels: ["endpoint"], regex: "/a", action: "drop" }]),
    0,
  );
  const result = rewriteSampleLabels(encodeProfile(p), rules);
  assertEquals(sampleLabels(decodeProfile(result.bytes!)), [{ endpoint: "/b" }]);
  assertStrictEquals(result.dropped, 0);
});

Deno.test("sample_labels: dropping span_id/trace_id merges samples, keeps totals", async () => {
  const { processor, settings } = create({
    rule: [{ regex: "span_id|trace_id", action: "labeldrop" }],
  });
  // 12 stacks × 48 spans: 144 samples, each (stack, span) once; 4 endpoints, 2 threads.
  const input = tracedProfile({ stacks: 12, spans: 48, samples: 144 });
  const gzipped = gzip(input);
  const output = await rewritten(processor, gzipped);
  assert(isGzip(output), "gzip in, gzip out");
  const before = decodeProfile(input);
  const after = decodeProfile(plain(output));
  assertEquals(totals(after), totals(before));
  // What is left tells samples apart: the stack and thread-name (stack i%12 and i%2 → 12).
  assertStrictEquals(after.sample.length, 12);
  for (const labels of sampleLabels(after)) {
    assertEquals(Object.keys(labels).sort(), ["bytes", "endpoint", "thread-name"]);
    assertStrictEquals(labels.bytes, "=64 bytes");
  }
  assertEquals(after.sample.map((s) => s.value), after.sample.map(() => [12, 120_000_000]));
  assertEquals(withoutSamples(after, before.stringTable.length), withoutSamples(before, 1e9));
  assertStrictEquals(counter(settings, "profcol_sample_labels_samples_merged_total"), 132);
  assertStrictEquals(counter(settings, "profcol_sample_labels_profiles_rewritten_total"), 1);
  assertStrictEquals(counter(settings, "profcol_sample_labels_bytes_in_total"), input.length);
  assertStrictEquals(
    counter(settings, "profcol_sample_labels_bytes_out_total"),
    plain(output).length,
  );
});

Deno.test("sample_labels: renaming keys appends strings and keeps indices valid", async () => {
  const { processor } = create({
    rule: [
      { source_labels: ["endpoint"], target_label: "http.route" },
      { regex: "endpoint", action: "labeldrop" },
      { regex: "span_(.*)", action: "labelmap", replacement: "otel.span.$1" },
      { regex: "span_id", action: "labeldrop" },
    ],
  });
  const input = tracedProfile({ stacks: 4, spans: 4, samples: 4 });
  const before = decodeProfile(input);
  const after = decodeProfile(await rewritten(processor, input));
  assertEquals(after.stringTable.slice(0, before.stringTable.length), before.stringTable);
  assertEquals(after.stringTable.slice(before.stringTable.length), ["http.route", "otel.span.id"]);
  const labels = sampleLabels(after);
  assertEquals(
    labels.map((l) => [l["http.route"], l["otel.span.id"], l.endpoint, l.span_id]),
    sampleLabels(before).map((l) => [l.endpoint, l.span_id, undefined, undefined]),
  );
  assertEquals(totals(after), totals(before));
});

Deno.test("sample_labels: sanitizes label names a strict server refuses", async () => {
  const { processor } = create({
    rule: [
      // One invalid character per pass; then drop names still invalid.
      { regex: "(.*)[^A-Za-z0-9_.](.*)", action: "labelmap", replacement: "${1}_${2}" },
      { regex: "(.*)[^A-Za-z0-9_.](.*)", action: "labelmap", replacement: "${1}_${2}" },
      { regex: ".*[^A-Za-z0-9_.].*", action: "labeldrop" },
    ],
  });
  const input = tracedProfile({ stacks: 2, spans: 2, samples: 2 });
  const after = decodeProfile(await rewritten(processor, input));
  const labels = sampleLabels(after);
  assertEquals(labels.map((l) => [l["thread-name"], l.thread_name]), [
    [undefined, "worker-0"],
    [undefined, "worker-1"],
  ]);
  for (const l of labels) for (const name of Object.keys(l)) assert(/^[\w.]+$/.test(name), name);
});

Deno.test("sample_labels: keep/drop and hashmod remove samples, counted", async () => {
  const { processor, settings } = create({
    rule: [
      { source_labels: ["endpoint"], regex: "/api/v1/items/3", action: "drop" },
      { source_labels: ["span_id"], modulus: 2, target_label: "__tmp_shard", action: "hashmod" },
      { source_labels: ["__tmp_shard"], regex: "0", action: "keep" },
      { regex: "__tmp_shard", action: "labeldrop" },
    ],
  });
  const input = tracedProfile({ stacks: 8, spans: 16, samples: 16 });
  const before = decodeProfile(input);
  const after = decodeProfile(await rewritten(processor, input));
  const kept = sampleLabels(after);
  assert(kept.length > 0 && kept.length < 12, `kept ${kept.length}`);
  for (const l of kept) assert(l.endpoint !== "/api/v1/items/3" && !("__tmp_shard" in l));
  assertStrictEquals(
    counter(settings, "profcol_sample_labels_samples_dropped_total"),
    16 - kept.length,
  );
  assertEquals(totals(after), [kept.length, kept.length * 10_000_000]);
  assertStrictEquals(before.sample.length, 16);
});

Deno.test("sample_labels: a real heap profile keeps its numeric labels and other fields", async () => {
  const { processor } = create({ rule: [{ target_label: "region", replacement: "eu" }] });
  const gzipped = fixture("heap.pb.gz");
  const before = decodeProfile(plain(gzipped));
  const after = decodeProfile(plain(await rewritten(processor, gzipped)));
  assertEquals(withoutSamples(after, before.stringTable.length), withoutSamples(before, 1e9));
  assertEquals(
    after.sample.map((s) => s.locationId),
    before.sample.map((s) => s.locationId),
  );
  assertEquals(
    sampleLabels(after),
    sampleLabels(before).map((l) => ({ ...l, region: "eu" })),
  );
  assertEquals(totals(after), totals(before));
});

Deno.test("sample_labels: profiles the rules leave alone are passed as the same bytes", async () => {
  const { processor, settings } = create({
    rule: [{ regex: "span_id|trace_id", action: "labeldrop" }],
  });
  const item = push(fixture("cpu.pb.gz"), fixture("heap.pb.gz"));
  assertStrictEquals(await processor.process(item), item);
  assertStrictEquals(counter(settings, "profcol_sample_labels_profiles_total"), 2);
  assertStrictEquals(counter(settings, "profcol_sample_labels_profiles_rewritten_total"), 0);
});

Deno.test("sample_labels: rule results are cached per distinct label set", () => {
  const rules = createSampleRules(
    compileRelabelRules([{ regex: "span_id|trace_id", action: "labeldrop" }]),
    10_000,
  );
  const input = tracedProfile({ stacks: 4, spans: 8, samples: 64 });
  const first = rewriteSampleLabels(input, rules);
  assertStrictEquals(first.merged, 64 - 4);
  // Span i%8 fixes the stack (i%4), so the endpoint and the thread (i%2): 8 distinct sets.
  assertStrictEquals(rules.cache.size, 8);
  assertEquals(rewriteSampleLabels(input, rules), first);
  assertStrictEquals(rules.cache.size, 8);
  const small = createSampleRules(rules.rules, 3);
  assertEquals(rewriteSampleLabels(input, small), first);
  assert(small.cache.size <= 3, `${small.cache.size}`);
});

Deno.test("sample_labels: ingest bodies with format=pprof are rewritten, others not", async () => {
  const { processor } = create({ rule: [{ regex: "span_id|trace_id", action: "labeldrop" }] });
  const body = gzip(tracedProfile({ stacks: 2, spans: 4, samples: 4 }));
  const ingest = (format: string): IngestItem => ({
    kind: "ingest",
    labels: LabelSet.from({ __name__: "shop.cpu" }),
    body,
    contentType: ["application/octet-stream"],
    query: [["format", format], ["spyName", "gospy"]],
  });
  const jfr = ingest("jfr");
  assertStrictEquals(await processor.process(jfr), jfr);
  const out = (await processor.process(ingest("pprof"))) as IngestItem;
  assertEquals(out.query, ingest("pprof").query);
  const after = decodeProfile(plain(out.body));
  assertEquals(sampleLabels(after).map((l) => "span_id" in l || "trace_id" in l), [false, false]);
});

Deno.test("sample_labels: unreadable profiles pass unchanged, counted, warned once per reason", async () => {
  const lines: Record<string, unknown>[] = [];
  const settings = testSettings("sample_labels/test", {
    logger: new Logger({ format: "json", write: (line) => lines.push(JSON.parse(line)) }),
  });
  const { processor } = create({
    max_decompressed_size: "64KiB",
    rule: [{ regex: "span_id", action: "labeldrop" }],
  }, settings);
  const corrupt = fixture("cpu.pb.gz").slice(0, 100);
  const notPprof = new Uint8Array([0x0a, 0x05, 0x01]);
  const large = gzip(tracedProfile({ stacks: 64, spans: 2048, samples: 2048 }));
  const item = push(corrupt, notPprof, large, corrupt);
  const out = (await processor.process(item)) as PushItem;
  assertStrictEquals(out, item);
  const undecodable = (reason: string) =>
    counter(
      settings,
      "profcol_sample_labels_profiles_undecodable_total",
      {
        ...ID,
        reason,
      } as typeof ID,
    );
  assertEquals(
    [undecodable("bad_gzip"), undecodable("bad_pprof"), undecodable("too_large")],
    [2, 1, 1],
  );
  // Each reason once (the second corrupt gzip is counted, not logged); a readable profile
  // logs nothing.
  await processor.process(push(tracedProfile({ stacks: 1, spans: 1, samples: 1 })));
  assertEquals(lines.map((l) => [l.level, l.reason, l.profiles_total]), [
    ["warn", "bad_gzip", 1],
    ["warn", "bad_pprof", 1],
    ["warn", "too_large", 1],
  ]);
});

Deno.test("sample_labels: the README's full example, loaded as a config file, does what it says", async () => {
  const readme = Deno.readTextFileSync(new URL("README.md", dir));
  const section = readme.slice(readme.indexOf("## Full example"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const config = loadAndValidate(["config.yaml"], new Registry(builtinFactories), {
    readFile: () => yaml,
  });
  const component = config.processors.get("sample_labels")!;
  const processor = sampleLabelsProcessorFactory.create(
    testSettings("sample_labels"),
    component.config as SampleLabelsConfig,
  );
  const input = tracedProfile({ stacks: 4, spans: 8, samples: 8 });
  const after = decodeProfile(plain(await rewritten(processor, gzip(input))));
  assertEquals(sampleLabels(after).map((l) => Object.keys(l).sort()), [
    ["bytes", "http.route", "thread_name"],
    ["bytes", "http.route", "thread_name"],
    ["bytes", "http.route", "thread_name"],
    ["bytes", "http.route", "thread_name"],
  ]);
  assertEquals(totals(after), totals(decodeProfile(input)));
});

Deno.test("sample_labels: a sample whose labels all go away is kept, merged by stack", async () => {
  const { processor, settings } = create({ rule: [{ regex: "bytes", action: "labelkeep" }] });
  const input = tracedProfile({ stacks: 3, spans: 6, samples: 6 });
  const after = decodeProfile(await rewritten(processor, input));
  // Only the numeric `bytes` label is left (rules never see it): one sample per stack.
  assertEquals(sampleLabels(after), [
    { bytes: "=64 bytes" },
    { bytes: "=64 bytes" },
    { bytes: "=64 bytes" },
  ]);
  assertEquals(totals(after), totals(decodeProfile(input)));
  assertStrictEquals(counter(settings, "profcol_sample_labels_samples_dropped_total"), 0);
});

Deno.test("sample_labels: a multipart /ingest upload has its profile part rewritten", async () => {
  const { processor, settings } = create({
    rule: [{ regex: "span_id|trace_id", action: "labeldrop" }],
  });
  const config = new TextEncoder().encode('{"cpu":{"units":"nanoseconds"}}');
  const form = new FormData();
  form.append(
    "profile",
    new File(
      [gzip(tracedProfile({ stacks: 2, spans: 4, samples: 4 })) as BlobPart],
      "profile.pprof",
    ),
  );
  form.append("sample_type_config", new File([config as BlobPart], "sample_type_config.json"));
  const request = new Request("http://127.0.0.1/", { method: "POST", body: form });
  const item: IngestItem = {
    kind: "ingest",
    labels: LabelSet.from({ __name__: "shop.cpu" }),
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: [request.headers.get("content-type")!],
    query: [["spyName", "gospy"], ["sampleRate", "100"]],
  };
  const out = (await processor.process(item)) as IngestItem;
  assertEquals(out.query, item.query);
  const parts = await new Response(out.body as BodyInit, {
    headers: { "content-type": out.contentType[0]! },
  }).formData();
  const profile = parts.get("profile") as File;
  const stc = parts.get("sample_type_config") as File;
  assertEquals([profile.name, stc.name], ["profile.pprof", "sample_type_config.json"]);
  assertEquals(new Uint8Array(await stc.arrayBuffer()), config);
  const after = decodeProfile(plain(new Uint8Array(await profile.arrayBuffer())));
  assertEquals(sampleLabels(after).map((l) => Object.keys(l).sort()), [
    ["bytes", "endpoint", "thread-name"],
    ["bytes", "endpoint", "thread-name"],
  ]);

  const broken: IngestItem = { ...item, body: item.body.slice(0, 40) };
  assertStrictEquals(await processor.process(broken), broken);
  assertStrictEquals(
    counter(
      settings,
      "profcol_sample_labels_profiles_undecodable_total",
      {
        ...ID,
        reason: "bad_multipart",
      } as typeof ID,
    ),
    1,
  );
});

Deno.test("sample_labels: the README's hashmod example keeps span ids on about 1% of samples", async () => {
  const readme = Deno.readTextFileSync(new URL("README.md", dir));
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseYaml(m[1]!));
  const config = blocks.find((b) => b.processors?.["sample_labels/some_spans"])!
    .processors["sample_labels/some_spans"];
  const { processor } = create(config);
  const input = tracedProfile({ stacks: 4, spans: 1000, samples: 1000 });
  const labels = sampleLabels(decodeProfile(await rewritten(processor, input)));
  const withSpan = labels.filter((l) => "span_id" in l).length;
  assert(withSpan > 0 && withSpan < 30, `${withSpan} samples kept their span id`);
  assertEquals(labels.filter((l) => "__tmp_span_bucket" in l).length, 0);
  // The 4 spans of a trace ran on 4 different stacks here: nothing to merge.
  assertStrictEquals(labels.length, 1000);
});

Deno.test("sample_labels: a label string index past the table is a decode error", () => {
  const p = emptyProfile();
  p.stringTable.push("samples", "count", "endpoint");
  p.sampleType.push({ type: 1, unit: 2 });
  p.sample.push({ locationId: [], value: [1], label: [{ key: 3, str: 99, num: 0, numUnit: 0 }] });
  const rules = createSampleRules(compileRelabelRules([{ regex: "x", action: "labeldrop" }]), 0);
  assertThrows(
    () => rewriteSampleLabels(encodeProfile(p), rules),
    ProtoDecodeError,
    "sample label refers to string 99, past the string table (4)",
  );
});
