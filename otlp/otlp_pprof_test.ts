import { ProtoReader } from "../core/wire/protobuf.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../tests/support/assert.ts";
import { canonicalProfile } from "../tests/support/pprof_canonical.ts";
import { LabelSet } from "../core/labels.ts";
import { decodeProfile, emptyProfile, encodeProfile, type Profile } from "../pprof/profile.ts";
import { gunzipIfNeeded } from "../pprof/gzip.ts";
import { otlpToPprof, pprofToOtlp, profileName } from "./otlp_pprof.ts";
import {
  checkLayoutHeader,
  decodeExportRequest,
  emptyDictionary,
  encodeExportRequest,
  encodeExportResponse,
  type ExportProfilesRequest,
  OtlpLayoutError,
} from "./otlp_profiles.ts";
import { decodeExportRequestJson } from "./otlp_profiles_json.ts";
import { encodeExportRequestJson } from "../tests/support/otlp_json.ts";
import { ProtoWriter } from "../core/wire/protobuf.ts";

const FIXTURES = [
  ...["allocs", "allocs_1", "allocs_2", "block", "cpu", "goroutine", "heap", "mutex"].map((name) =>
    new URL(`../pprof/testdata/${name}.pb.gz`, import.meta.url)
  ),
  ...["allocs_1", "allocs_2", "cpu"].map((name) =>
    new URL(`../bench/testdata/${name}.pb.gz`, import.meta.url)
  ),
];

function load(url: URL): Profile {
  return decodeProfile(gunzipIfNeeded(Deno.readFileSync(url), 1 << 30));
}

/** pprof → OTLP → (wire, proto or JSON) → pprof. */
function roundTrip(labels: LabelSet, profiles: Profile[], via: "proto" | "json") {
  const request = pprofToOtlp([{ labels, profiles }]);
  const decoded = via === "proto"
    ? decodeExportRequest(encodeExportRequest(request))
    : decodeExportRequestJson(new TextEncoder().encode(encodeExportRequestJson(request)));
  return otlpToPprof(decoded);
}

for (const url of FIXTURES) {
  const name = url.pathname.split("/").slice(-3).join("/");
  Deno.test(`otlp ↔ pprof: ${name} keeps samples, values, stacks and labels (proto and JSON)`, () => {
    const original = load(url);
    const labels = LabelSet.from({
      __name__: "memory",
      service_name: "api",
      "k8s.pod.name": "p-1",
    });
    for (const via of ["proto", "json"] as const) {
      const back = roundTrip(labels, [original], via);
      assertEquals(back.rejected, 0);
      assertEquals(back.profiles.length, 1, "the sample types merge back into one pprof");
      assertEquals(canonicalProfile(back.profiles[0]!.profile), canonicalProfile(original));
      assertEquals(
        LabelSet.from(back.profiles[0]!.labels).toRecord(),
        { __name__: "memory", service_name: "api", "k8s.pod.name": "p-1" },
      );
      // And what comes back encodes to pprof that decodes to the same.
      const again = decodeProfile(encodeProfile(back.profiles[0]!.profile));
      assertEquals(canonicalProfile(again), canonicalProfile(original));
    }
  });
}

/** A deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(seed: number): Profile {
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const p = emptyProfile();
  const str = (text: string) => {
    const at = p.stringTable.indexOf(text);
    if (at >= 0) return at;
    p.stringTable.push(text);
    return p.stringTable.length - 1;
  };
  const types = int(4) + 1;
  for (let t = 0; t < types; t++) p.sampleType.push({ type: str(`type_${t}`), unit: str("bytes") });
  p.periodType = { type: str("space"), unit: str("bytes") };
  p.period = int(1000) + 1;
  p.timeNanos = 1_700_000_000_000_000_000 + int(1_000_000) * 1000;
  p.durationNanos = int(10_000_000_000);
  for (let m = 1; m <= 3; m++) {
    p.mapping.push({
      id: m,
      memoryStart: 0x400000 * m,
      memoryLimit: 0x400000 * m + 0x10000,
      fileOffset: int(4096),
      filename: str(`/bin/m${m}`),
      buildId: int(2) ? str(`build-${m}`) : 0,
      hasFunctions: int(2) === 1,
      hasFilenames: int(2) === 1,
      hasLineNumbers: int(2) === 1,
      hasInlineFrames: int(2) === 1,
    });
  }
  for (let f = 1; f <= 20; f++) {
    p.function.push({
      id: f,
      name: str(`pkg.fn${f}ü`),
      systemName: str(`sys_fn${f}`),
      filename: str(`src/f${f % 5}.go`),
      startLine: int(500),
    });
  }
  for (let l = 1; l <= 40; l++) {
    const lines = Array.from({ length: int(3) + 1 }, () => ({
      functionId: int(20) + 1,
      line: int(2000),
      column: int(80),
    }));
    p.location.push({
      id: l,
      mappingId: int(4), // 0: no mapping
      address: int(2 ** 40),
      line: lines,
      isFolded: int(5) === 0,
    });
  }
  const samples = int(200) + 1;
  for (let i = 0; i < samples; i++) {
    const labels = [];
    if (int(2)) labels.push({ key: str("thread"), str: str(`t${int(4)}`), num: 0, numUnit: 0 });
    if (int(3) === 0) {
      labels.push({ key: str("bytes"), str: 0, num: int(1 << 20), numUnit: str("bytes") });
    }
    if (int(4) === 0) labels.push({ key: str("count"), str: 0, num: -int(99) - 1, numUnit: 0 });
    p.sample.push({
      locationId: Array.from({ length: int(12) }, () => int(40) + 1),
      value: Array.from({ length: types }, () => (int(10) === 0 ? -int(1000) - 1 : int(2 ** 45))),
      label: labels,
    });
  }
  return p;
}

Deno.test("otlp ↔ pprof: 50 generated profiles (several per request) round-trip exactly", () => {
  for (let seed = 1; seed <= 50; seed += 2) {
    const profiles = [generated(seed), generated(seed + 1)];
    for (const via of ["proto", "json"] as const) {
      const back = roundTrip(LabelSet.from({ service_name: `svc${seed}` }), profiles, via);
      assertEquals(back.rejected, 0);
      assertEquals(
        back.profiles.map((one) => canonicalProfile(one.profile)),
        profiles.map(canonicalProfile),
        `seed ${seed} via ${via}`,
      );
    }
  }
});

Deno.test("otlp ↔ pprof: one dictionary is shared by every series of a request", () => {
  const cpu = load(FIXTURES[4]!);
  const request = pprofToOtlp([
    { labels: LabelSet.from({ service_name: "a" }), profiles: [cpu] },
    { labels: LabelSet.from({ service_name: "b" }), profiles: [cpu] },
  ]);
  const single = pprofToOtlp([{ labels: LabelSet.from({ service_name: "a" }), profiles: [cpu] }]);
  assertEquals(request.dictionary.locationTable.length, single.dictionary.locationTable.length);
  assertEquals(request.dictionary.stringTable.length, single.dictionary.stringTable.length);
  const back = otlpToPprof(request);
  assertEquals(back.profiles.map((one) => LabelSet.from(one.labels).get("service_name")), [
    "a",
    "b",
  ]);
});

Deno.test("otlp → pprof: profile names as Pyroscope calls them", () => {
  assertEquals(profileName([["cpu", "nanoseconds"]], "cpu"), "process_cpu");
  assertEquals(profileName([["samples", "count"], ["cpu", "nanoseconds"]], "cpu"), "process_cpu");
  assertEquals(
    profileName([["alloc_objects", "count"], ["alloc_space", "bytes"]], "space"),
    "memory",
  );
  assertEquals(profileName([["inuse_space", "bytes"]], "space"), "memory");
  assertEquals(profileName([["goroutine", "count"]], "goroutine"), "goroutine");
  assertEquals(
    profileName([["contentions", "count"], ["delay", "nanoseconds"]], "contentions"),
    "mutex",
  );
  assertEquals(profileName([["events", "nanoseconds"]], ""), "off_cpu");
  assertEquals(profileName([["wall", "nanoseconds"]], "wall"), "wall");
  assertEquals(profileName([["my-thing", "count"]], ""), "my_thing");
});

/** A request built by hand: resource/scope/profile attributes, a link, int and string labels. */
function handMade(): ExportProfilesRequest {
  const d = emptyDictionary();
  const s = (text: string) => (d.stringTable.push(text), d.stringTable.length - 1);
  d.functionTable.push({
    nameStrindex: s("main"),
    systemNameStrindex: 0,
    filenameStrindex: s("m.go"),
    startLine: 3,
  });
  d.locationTable.push({
    mappingIndex: 0,
    address: 0x10,
    lines: [{ functionIndex: 1, line: 7, column: 0 }],
    attributeIndices: [],
  });
  d.stackTable.push({ locationIndices: [1] });
  d.linkTable.push({
    traceId: new Uint8Array(16).fill(1),
    spanId: new Uint8Array([0xab, 0xcd, 0, 0, 0, 0, 0, 1]),
  });
  d.attributeTable.push({
    keyStrindex: s("thread.name"),
    value: { kind: "string", value: "w1" },
    unitStrindex: 0,
  });
  d.attributeTable.push({
    keyStrindex: s("bytes"),
    value: { kind: "int", value: 512 },
    unitStrindex: s("bytes"),
  });
  const cpu = s("cpu");
  const ns = s("nanoseconds");
  return {
    resourceProfiles: [{
      resource: {
        attributes: [
          { key: "service.name", value: { kind: "string" as const, value: "checkout" } },
          { key: "host.name", value: { kind: "string" as const, value: "h1" } },
          { key: "process.pid", value: { kind: "int" as const, value: 42 } },
          { key: "list", value: { kind: "array" as const, value: [] } },
        ],
        droppedAttributesCount: 0,
      },
      scopeProfiles: [{
        scope: {
          name: "ebpf",
          version: "1",
          attributes: [{ key: "scope-attr", value: { kind: "bool" as const, value: true } }],
          droppedAttributesCount: 0,
        },
        profiles: [{
          sampleType: { typeStrindex: cpu, unitStrindex: ns },
          samples: [
            {
              stackIndex: 1,
              attributeIndices: [1, 2],
              linkIndex: 1,
              values: [10, 5],
              timestampsUnixNano: [],
            },
            {
              stackIndex: 1,
              attributeIndices: [],
              linkIndex: 0,
              values: [],
              timestampsUnixNano: [1, 2, 3],
            },
          ],
          timeUnixNano: 1_700_000_000_000_000_000,
          durationNano: 10_000_000_000,
          periodType: { typeStrindex: cpu, unitStrindex: ns },
          period: 10_000_000,
          profileId: new Uint8Array(0),
          droppedAttributesCount: 0,
          originalPayloadFormat: "",
          originalPayload: new Uint8Array(0),
          attributeIndices: [],
        }],
        schemaUrl: "",
      }],
      schemaUrl: "",
    }],
    dictionary: d,
  };
}

Deno.test("otlp → pprof: attributes become labels, links span_id, values sum, timestamps count", () => {
  for (const via of ["proto", "json"] as const) {
    const request = handMade();
    const decoded = via === "proto"
      ? decodeExportRequest(encodeExportRequest(request))
      : decodeExportRequestJson(new TextEncoder().encode(encodeExportRequestJson(request)));
    const { profiles, rejected } = otlpToPprof(decoded);
    assertEquals(rejected, 0);
    assertEquals(LabelSet.from(profiles[0]!.labels).toRecord(), {
      __name__: "process_cpu",
      service_name: "checkout",
      "host.name": "h1",
      "process.pid": "42",
      "scope_attr": "true",
    });
    const c = canonicalProfile(profiles[0]!.profile);
    assertEquals(c.samples.map((one) => one.value), [[15], [3]]);
    assertEquals(c.samples[0]!.labels, [
      "bytes=512 bytes",
      "span_id=abcd000000000001",
      "thread.name=w1",
    ]);
    assertEquals(c.samples[0]!.stack, ["10@ main||m.go|3:7:0"]);
    assertEquals(c.timeNanos, 1_700_000_000_000_000_000);
  }
});

Deno.test("otlp → pprof: a profile with bad indices is rejected alone (partial success)", () => {
  const request = handMade();
  const good = request.resourceProfiles[0]!.scopeProfiles[0]!.profiles[0]!;
  const bad = { ...good, samples: [{ ...good.samples[0]!, stackIndex: 99 }] };
  request.resourceProfiles[0]!.scopeProfiles[0]!.profiles.push(bad, {
    ...good,
    sampleType: undefined,
  });
  const result = otlpToPprof(request);
  assertEquals(result.profiles.length, 1);
  assertEquals(result.rejected, 2);
  assertStringIncludes(result.errors[0]!, "profiles[1]: stack_index 99 is out of range");
  assertStringIncludes(result.errors[1]!, "sample_type is missing");
});

Deno.test("otlp layouts: v1.9.0 Sample (packed attribute_indices at field 3) is refused by name", () => {
  const sample = new ProtoWriter().int32(1, 1).packedInt(3, [1, 2]).finish();
  const profile = new ProtoWriter().bytes(2, sample).finish();
  const scope = new ProtoWriter().bytes(2, profile).finish();
  const resource = new ProtoWriter().bytes(2, scope).finish();
  const request = new ProtoWriter().bytes(1, resource).finish();
  const error = assertThrows(() => decodeExportRequest(request), OtlpLayoutError);
  assertStringIncludes(error.message, "opentelemetry-proto v1.9.0");
  assertStringIncludes(error.message, "accepts only the opentelemetry-proto v1.10.0/v1.11.x");
});

Deno.test("otlp layouts: v1.8.0 fields (aggregation_temporality, JSON sample/line) are refused", () => {
  const vt = new ProtoWriter().int32(1, 1).int32(3, 1).finish();
  const profile = new ProtoWriter().bytes(1, vt).finish();
  const nest = (field: number, bytes: Uint8Array) => new ProtoWriter().bytes(field, bytes).finish();
  const request = nest(1, nest(2, nest(2, profile)));
  assertStringIncludes(
    assertThrows(() => decodeExportRequest(request), OtlpLayoutError).message,
    "aggregation_temporality",
  );
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const old = { resourceProfiles: [{ scopeProfiles: [{ profiles: [{ sample: [] }] }] }] };
  assertStringIncludes(
    assertThrows(() => decodeExportRequestJson(json(old)), OtlpLayoutError).message,
    "v1.8.0",
  );
  const lines = { dictionary: { locationTable: [{}, { line: [] }] } };
  assertThrows(() => decodeExportRequestJson(json(lines)), OtlpLayoutError);
});

Deno.test("otlp layouts: the version header passes 1.10/1.11 and refuses others by name", () => {
  for (const ok of [null, "", "1.10", "1.10.0", "v1.11.1", "1.11"]) checkLayoutHeader(ok);
  const error = assertThrows(() => checkLayoutHeader("1.9.0"), OtlpLayoutError);
  assertStringIncludes(error.message, '"1.9.0" names another layout');
  assertStringIncludes(error.message, "v1.10.0/v1.11.x");
  assertThrows(() => checkLayoutHeader("1.12.0"), OtlpLayoutError);
});

Deno.test("otlp codec: JSON takes snake_case names, numbers or strings, base64 and hex", () => {
  const text = JSON.stringify({
    resource_profiles: [{
      resource: { attributes: [{ key: "service.name", value: { string_value: "x" } }] },
      scope_profiles: [{
        profiles: [{
          sample_type: { type_strindex: 1, unit_strindex: 2 },
          samples: [{ stack_index: 0, values: ["4", 5] }],
          time_unix_nano: "1700000000000000000",
          profile_id: "0102",
          original_payload: "AQI",
        }],
      }],
    }],
    dictionary: { string_table: ["", "cpu", "nanoseconds"], stack_table: [{}], unknown_field: 1 },
  });
  const request = decodeExportRequestJson(new TextEncoder().encode(text));
  const profile = request.resourceProfiles[0]!.scopeProfiles[0]!.profiles[0]!;
  assertEquals(profile.samples[0]!.values, [4, 5]);
  assertEquals([...profile.profileId], [1, 2]);
  assertEquals([...profile.originalPayload], [1, 2]);
  assertEquals(otlpToPprof(request).profiles[0]!.profile.sample[0]!.value, [9]);
});

Deno.test("otlp codec: malformed input fails with unmarshal message", () => {
  assertStringIncludes(
    assertThrows(() => decodeExportRequest(new Uint8Array([0x0a, 0x05, 0x01]))).message,
    "unmarshal message:",
  );
  assertStringIncludes(
    assertThrows(() => decodeExportRequestJson(new TextEncoder().encode("{"))).message,
    "unmarshal message:",
  );
  assertStringIncludes(
    assertThrows(() => decodeExportRequestJson(new TextEncoder().encode('{"resourceProfiles": 3}')))
      .message,
    "resourceProfiles must be a list",
  );
});

Deno.test("otlp codec: partial success response round-trips; empty when nothing was rejected", () => {
  assertEquals(encodeExportResponse(0, "").length, 0);
  assertEquals(decodeExportResponse(encodeExportResponse(3, "bad")), {
    rejected: 3,
    message: "bad",
  });
  assert(decodeExportResponse(new Uint8Array(0)).rejected === 0);
});

Deno.test("protobuf: 64-bit varints of large and negative numbers round-trip", () => {
  const values = [
    0,
    1,
    127,
    128,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
    -1,
    -2,
    -(2 ** 40),
    -(2 ** 53 - 1),
  ];
  const request = pprofToOtlp([]);
  assertEquals(request.resourceProfiles.length, 0);
  const p = emptyProfile();
  p.stringTable.push("v", "n");
  p.sampleType.push({ type: 1, unit: 2 });
  for (const v of values) p.sample.push({ locationId: [], value: [v], label: [] });
  const back = roundTrip(LabelSet.from({}), [p], "proto");
  assertEquals(back.profiles[0]!.profile.sample.map((one) => one.value[0]), values);
});

Deno.test("otlp codec: key_strindex and string_value_strindex (as pdata writes) resolve", () => {
  const request = handMade();
  const strings = request.dictionary.stringTable;
  strings.push("service.name", "from-dictionary", "pid");
  const n = strings.length;
  request.resourceProfiles[0]!.resource!.attributes = [
    { key: "", keyStrindex: n - 3, value: { kind: "strindex", value: n - 2 } },
    { key: "", keyStrindex: n - 1, value: { kind: "int", value: 7 } },
  ];
  request.dictionary.attributeTable[1]!.value = { kind: "strindex", value: n - 2 };
  for (const via of ["proto", "json"] as const) {
    const decoded = via === "proto"
      ? decodeExportRequest(encodeExportRequest(request))
      : decodeExportRequestJson(new TextEncoder().encode(encodeExportRequestJson(request)));
    const { profiles } = otlpToPprof(decoded);
    const labels = LabelSet.from(profiles[0]!.labels);
    assertEquals(labels.get("service_name"), "from-dictionary", via);
    assertEquals(labels.get("pid"), "7", via);
    assert(
      canonicalProfile(profiles[0]!.profile).samples[0]!.labels.includes(
        "thread.name=from-dictionary",
      ),
      via,
    );
  }
  request.resourceProfiles[0]!.resource!.attributes[0]!.value = { kind: "strindex", value: 999 };
  assertThrows(
    () => decodeExportRequest(encodeExportRequest(request)),
    Error,
    "string_value_strindex 999",
  );
});

Deno.test("otlp → pprof: a 1 MiB bytes attribute becomes a base64 label (no argument spread)", () => {
  const request = handMade();
  const big = new Uint8Array(1 << 20).fill(0xab);
  request.resourceProfiles[0]!.resource!.attributes.push({
    key: "blob",
    value: { kind: "bytes" as const, value: big },
  });
  const { profiles, rejected } = otlpToPprof(request);
  assertEquals(rejected, 0);
  const label = LabelSet.from(profiles[0]!.labels).get("blob")!;
  assertEquals(label.length, Math.ceil(big.length / 3) * 4);
  assertEquals(label.slice(0, 8), "q6urq6ur");
});

/** Decodes an `ExportProfilesServiceResponse`'s partial success (what a client reads back). */
function decodeExportResponse(bytes: Uint8Array): { rejected: number; message: string } {
  const out = { rejected: 0, message: "" };
  const r = new ProtoReader(bytes);
  while (r.more()) {
    const tag = r.tag();
    if (tag !== 0x0a) {
      r.skip(tag);
      continue;
    }
    const m = r.sub();
    while (m.more()) {
      const t = m.tag();
      if (t === 0x08) out.rejected = m.int64();
      else if (t === 0x12) out.message = m.string("error_message");
      else m.skip(t);
    }
  }
  return out;
}
