/**
 * Interop with the OpenTelemetry Collector's data model for profiles
 * (`go.opentelemetry.io/collector/pdata/pprofile` v0.165.0, layout of opentelemetry-proto
 * v1.10.0 = v1.11.x; tests/interop/gopeers `otlp-encode`, `otlp-server`):
 *
 * 1. pdata encodes the Go fixtures (`pprof/testdata`, `bench/testdata`) as OTLP, protobuf and
 *    JSON; a profcol process (`main.ts run`) accepts them with its `otlp` receiver and its file
 *    exporter writes pprof whose
 *    `go tool pprof -raw` samples (values, resolved stacks with mappings, labels), period and
 *    duration equal those of the file pdata started from.
 * 2. `pyroscope.write` with `protocol: otlp` sends the fixtures to a pdata server, which decodes
 *    every request and writes one pprof per OTLP profile: each equals, through
 *    `go tool pprof -raw`, the matching sample-type column of the original.
 */
import { admit } from "../../core/admission.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { goPeersBinary, jsonLines, skipUnlessGoPeers, startGoServer } from "../support/gopeers.ts";
import { goToolPprofRaw } from "../support/peers.ts";
import { LabelSet } from "../../core/labels.ts";
import { createForTest, testSettings } from "../../core/testing/conformance.ts";
import { pyroscopeWriteExporterFactory } from "../../exporters/pyroscope_write/mod.ts";
import type { PyroscopeWriteExporter } from "../../exporters/pyroscope_write/pyroscope_write.ts";
import { Profcol, tempConfig } from "../support/process.ts";

const ignore = skipUnlessGoPeers("pdata pprofile peers");

const FIXTURES = [
  ...["allocs", "allocs_1", "allocs_2", "block", "cpu", "goroutine", "heap", "mutex"].map((name) =>
    new URL(`../../pprof/testdata/${name}.pb.gz`, import.meta.url).pathname
  ),
  ...["allocs_1", "allocs_2", "cpu"].map((name) =>
    new URL(`../../bench/testdata/${name}.pb.gz`, import.meta.url).pathname
  ),
];

interface RawSample {
  values: number[];
  /** Resolved stack and sorted labels. */
  rest: string;
}

interface Raw {
  header: Record<string, string>;
  types: string[];
  samples: RawSample[];
  /** `Time:` in nanoseconds since the epoch (0 when absent). */
  timeNanos: bigint;
}

/** Parses `go tool pprof -raw`, resolving location and mapping ids (which re-encoding renumbers). */
function parseRaw(text: string): Raw {
  const lines = text.split("\n");
  const header: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length && lines[i] !== "Samples:"; i++) {
    const [key, ...value] = lines[i]!.split(": ");
    if (key) header[key] = value.join(": ");
  }
  const types = (lines[++i] ?? "").trim().split(/\s+/).filter(Boolean)
    .map((type) => type.replace(/\[dflt\]$/, ""));
  const parsed: { values: number[]; ids: string[]; labels: string[] }[] = [];
  for (i++; i < lines.length && lines[i] !== "Locations"; i++) {
    const line = lines[i]!;
    const match = /^\s*((?:-?\d+\s+)*-?\d+):((?:\s+\d+)*)\s*$/.exec(line);
    if (match) {
      parsed.push({
        values: match[1]!.trim().split(/\s+/).map(Number),
        ids: match[2]!.trim().split(/\s+/).filter(Boolean),
        labels: [],
      });
    } else if (line.trim() !== "") parsed.at(-1)?.labels.push(line.trim());
  }
  const locations = new Map<string, { mapping: string; text: string[] }>();
  let current: { mapping: string; text: string[] } | undefined;
  for (i++; i < lines.length && lines[i] !== "Mappings"; i++) {
    const line = lines[i]!;
    const match = /^\s*(\d+): (0x[0-9a-f]+) M=(\d+)\s?(.*)$/.exec(line);
    if (match) {
      current = { mapping: match[3]!, text: [`${match[2]} ${match[4]}`] };
      locations.set(match[1]!, current);
    } else if (line.trim() !== "") current?.text.push(line.trim());
  }
  const mappings = new Map<string, string>();
  for (i++; i < lines.length; i++) {
    const match = /^(\d+): (.*)$/.exec(lines[i]!);
    if (match) mappings.set(match[1]!, match[2]!.trim());
  }
  const frame = (id: string) => {
    const location = locations.get(id);
    if (!location) return `<location ${id}>`;
    return `${location.text.join(" / ")} @ ${mappings.get(location.mapping) ?? "-"}`;
  };
  const samples = parsed.map((one) => ({
    values: one.values,
    rest: `${one.ids.map(frame).join(" ; ")} | ${one.labels.sort().join(" ")}`,
  }));
  let timeNanos = 0n;
  const time = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? \+0000 UTC$/.exec(
    header.Time ?? "",
  );
  if (time) {
    const fraction = (time[3] ?? "").padEnd(9, "0");
    timeNanos = BigInt(Date.parse(`${time[1]}T${time[2]}Z`)) * 1_000_000n + BigInt(fraction);
  }
  delete header.Time;
  return { header, types, samples, timeNanos };
}

/** Samples as sorted strings, of every column or of one. */
function sampleSet(raw: Raw, column?: number): string[] {
  return raw.samples.map((s) =>
    `${column === undefined ? s.values.join(" ") : s.values[column]} | ${s.rest}`
  ).sort();
}

function assertSameTime(actual: bigint, expected: bigint, what: string) {
  // profcol holds int64s as doubles: a 2026 timestamp keeps its value to 256 ns.
  const delta = actual > expected ? actual - expected : expected - actual;
  assert(delta <= 256n, `${what}: time ${actual} vs ${expected}`);
}

const parsed = new Map<string, Promise<Raw>>();
/** `go tool pprof -raw` of `file`, parsed (cached: it takes about a second per call). */
function rawOf(file: string): Promise<Raw> {
  let raw = parsed.get(file);
  if (!raw) parsed.set(file, raw = goToolPprofRaw(file).then(parseRaw));
  return raw;
}

Deno.test({
  name:
    "interop: pdata-encoded OTLP (protobuf, JSON) → otlp receiver → file exporter keeps every sample",
  ignore,
  async fn() {
    const binary = await goPeersBinary();
    const directory = await Deno.makeTempDir({ prefix: "profcol-otlp-interop-" });
    const config = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  file: { directory: ${directory}/profiles }
service:
  pipelines:
    otel:
      receivers: [otlp]
      exporters: [file]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
    const proc = new Profcol(["run", "--config", tempConfig(config, directory)], {
      entry: "main.ts",
    });
    try {
      const url =
        (await proc.waitFor(/receiving OTLP profiles.*url=(http:\/\/[\d.:]+\/\S+)/, 30_000))[1]!;
      for (const format of ["proto", "json"] as const) {
        const body = join(directory, `request.${format}`);
        const out = await new Deno.Command(binary, {
          args: [
            "otlp-encode",
            "-format",
            format,
            "-service",
            `interop-${format}`,
            "-o",
            body,
            ...FIXTURES,
          ],
          stderr: "piped",
        }).output();
        assert(out.success, new TextDecoder().decode(out.stderr));
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": format === "proto" ? "application/x-protobuf" : "application/json",
          },
          body: await Deno.readFile(body),
        });
        assertEquals(response.status, 200, await response.clone().text());
        const answer = format === "json" ? await response.json() : await response.bytes();
        assertEquals(format === "json" ? answer : answer.length, format === "json" ? {} : 0);
      }
      // The file exporter writes in the background after the 200: wait for its index, then stop.
      const indexFile = join(directory, "profiles", "index.jsonl");
      const indexed = () => {
        try {
          return Deno.readTextFileSync(indexFile).trim().split("\n").length;
        } catch {
          return 0;
        }
      };
      for (let i = 0; i < 200 && indexed() < 2 * FIXTURES.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      proc.child.kill("SIGTERM");
      await proc.exit();
      const index = (await Deno.readTextFile(join(directory, "profiles", "index.jsonl"))).trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      assertEquals(index.length, 2 * FIXTURES.length, "one pprof per fixture and format");
      for (const entry of index) {
        assert(/^interop-(proto|json)$/.test(entry.labels.service_name), entry.labels.service_name);
        // pprof/testdata and bench/testdata share file names: match on content below.
        const candidates = FIXTURES.filter((path) =>
          path.endsWith(`/${entry.labels["source.file"]}`)
        );
        assert(candidates.length > 0, `source.file label on ${JSON.stringify(entry.labels)}`);
        const got = await rawOf(join(directory, "profiles", entry.file));
        let matched = false;
        for (const path of candidates) {
          const want = await rawOf(path);
          if (sampleSet(got).join("\n") !== sampleSet(want).join("\n")) continue;
          assertEquals(got.types, want.types, path);
          assertEquals(got.header, want.header, path);
          assertSameTime(got.timeNanos, want.timeNanos, path);
          matched = true;
        }
        assert(
          matched,
          `${entry.file} (${entry.labels["source.file"]}) equals no fixture of that name`,
        );
      }
      const names = new Set(
        index.map((entry) => `${entry.labels["source.file"]}:${entry.labels.__name__}`),
      );
      assert(
        names.has("cpu.pb.gz:process_cpu") && names.has("heap.pb.gz:memory"),
        [...names].join(),
      );
    } finally {
      await proc.kill();
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test({
  name: "interop: pyroscope.write protocol otlp → pdata server: every sample-type column arrives",
  ignore,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "profcol-otlp-export-" });
    const server = await startGoServer(["otlp-server", "-dir", directory]);
    const exporter = createForTest(
      pyroscopeWriteExporterFactory,
      { endpoint: [{ url: server.url, protocol: "otlp" }] },
      testSettings("pyroscope.write/otlp"),
    ) as PyroscopeWriteExporter;
    await exporter.start();
    try {
      const items = FIXTURES.map((path, i) => ({
        kind: "push" as const,
        labels: LabelSet.from({
          __name__: "memory",
          service_name: `svc-${i}`,
          fixture: path,
          __tenant_id__: "team-a",
        }),
        samples: [{ rawProfile: Deno.readFileSync(path) }],
      }));
      await admit(exporter, items);
      await exporter.shutdown();
      const requests = jsonLines<{
        tenant: string;
        profiles: {
          file: string;
          sample_type: string;
          resource: Record<string, string>;
          attributes: Record<string, string>;
        }[];
      }>(server.lines.join("\n"));
      const profiles = requests.flatMap((request) => {
        assertEquals(request.tenant, "team-a");
        return request.profiles;
      });
      let columns = 0;
      for (const [i, path] of FIXTURES.entries()) {
        const want = await rawOf(path);
        const got = profiles.filter((one) => one.resource.fixture === path);
        assertEquals(got.map((one) => one.sample_type), want.types, path);
        for (const [k, one] of got.entries()) {
          assertEquals(one.resource["service.name"], `svc-${i}`);
          assertEquals(one.attributes["pyroscope.profile.name"], "memory");
          const raw = await rawOf(one.file);
          assertEquals(sampleSet(raw, 0), sampleSet(want, k), `${path} column ${k}`);
          assertEquals(raw.header, want.header, path);
          assertSameTime(raw.timeNanos, want.timeNanos, path);
          columns++;
        }
      }
      assert(columns >= FIXTURES.length * 2, `${columns} columns compared`);
    } finally {
      await exporter.shutdown();
      await server.stop();
      await Deno.remove(directory, { recursive: true });
    }
  },
});
