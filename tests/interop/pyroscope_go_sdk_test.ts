/**
 * Interop with the real Go SDK, github.com/grafana/pyroscope-go v1.5.0 (tests/interop/gopeers
 * `sdk`): a Go program profiles itself (CPU, alloc/in-use objects and space, goroutines,
 * mutex, block) with `UploadRate` 1 s for 4 s and uploads to `pyroscope.receive_http`
 * (`POST /ingest`, multipart). The SDK's HTTP client is wrapped to print every upload it sent.
 *
 * Checked: every upload the SDK made was answered 200 and arrives, through `pyroscope.write`,
 * at the strict sink: the `profile` part and `sample_type_config` byte-identical (heap, mutex
 * and block come from godeltaprof, already deltas: the collector must not delta them again),
 * the name carrying the application name (the server's `service_name`) and the SDK's tags;
 * google/pprof's parser reads every profile with the SDK's sample types; the file exporter
 * wrote each upload and `go tool pprof -raw` opens every file.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { goPeersBinary, jsonLines, runGoPeer, skipUnlessGoPeers } from "../support/gopeers.ts";
import { goToolPprofRaw } from "../support/peers.ts";
import { Profcol, tempConfig } from "../support/process.ts";
import { startSink } from "../support/strict_sink.ts";
import { parseIngestName } from "../../core/pyroscope_labels/mod.ts";
import { decodeBase64Any as decodeBase64 } from "../../core/wire/push_json.ts";

const ignore = skipUnlessGoPeers("pyroscope-go SDK peer");

interface SentUpload {
  path: string;
  query: Record<string, string>;
  content_type: string;
  profile: string;
  sample_type_config?: Record<string, { units?: string; cumulative?: boolean }>;
  status: number;
  error?: string;
}

interface Summary {
  sample_types: string[];
  samples: { stack: string; values: number[] }[];
}

/** The parts of a multipart body, as Deno's FormData reads them. */
async function parts(body: Uint8Array, contentType: string): Promise<Map<string, Uint8Array>> {
  const form = await new Response(body as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": contentType },
  }).formData();
  const out = new Map<string, Uint8Array>();
  for (const [name, value] of form.entries()) {
    out.set(name, new Uint8Array(await (value as File).arrayBuffer()));
  }
  return out;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test({
  name: "interop: pyroscope-go v1.5.0 → receive_http → pyroscope.write (strict sink) and file",
  ignore,
  async fn() {
    await goPeersBinary();
    const dir = Deno.makeTempDirSync({ prefix: "profcol-gosdk-" });
    const sink = await startSink();
    const config = `receivers:
  pyroscope.receive_http/sdk:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/sink:
    endpoint:
      - url: ${sink.url}
  file: { directory: ${dir}/profiles }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/sdk]
      exporters: [pyroscope.write/sink, file]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
    const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
    try {
      const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
      const run = await runGoPeer([
        "sdk",
        "-url",
        url,
        "-app",
        "gosdk-interop",
        "-duration",
        "4s",
        "-upload-rate",
        "1s",
      ]);
      const sent = jsonLines<SentUpload>(run.stdout);
      assert(sent.length >= 8, `the SDK uploaded only ${sent.length} profiles:\n${run.stderr}`);
      for (const upload of sent) {
        assertEquals([upload.status, upload.error], [200, undefined], upload.query.name);
      }
      await sink.waitFor(sent.length, 20_000);
      assertEquals(sink.ingests.length, sent.length, "one forwarded upload per SDK upload");

      // Match each SDK upload with what reached the sink, by the profile part's bytes.
      const arrived = new Map<string, { name: string; query: Map<string, string>; stc?: string }>();
      for (const ingest of sink.ingests) {
        const got = await parts(ingest.body, ingest.contentType.join(", "));
        const profile = got.get("profile");
        assert(profile, `an upload without a profile part reached the sink: ${ingest.name}`);
        const stc = got.get("sample_type_config");
        arrived.set(hex(profile), {
          name: ingest.name,
          query: new Map(ingest.query),
          stc: stc && new TextDecoder().decode(stc),
        });
      }

      const profileFiles: string[] = [];
      let deltaprofUploads = 0;
      for (const upload of sent) {
        const profile = decodeBase64(upload.profile);
        const got = arrived.get(hex(profile));
        assert(got, `the profile of ${upload.query.name} did not arrive byte-identical`);
        const sentName = parseIngestName(upload.query.name!);
        const labels = parseIngestName(got.name);
        assertEquals(labels.get("__name__"), "gosdk-interop", "the application name");
        assertEquals(labels.get("__name__"), sentName.get("__name__"));
        assertEquals(labels.get("env"), "interop");
        assertEquals(labels.get("team"), "profcol");
        assertEquals(labels.get("__session_id__"), sentName.get("__session_id__"));
        assertEquals(got.query.get("spyName"), "gospy");
        assertEquals(got.query.get("from"), upload.query.from);
        assertEquals(got.query.get("until"), upload.query.until);
        assertEquals(
          got.stc === undefined ? undefined : JSON.parse(got.stc),
          upload.sample_type_config,
          "sample_type_config forwarded as sent",
        );
        if (upload.query.name!.includes("godeltaprof")) {
          deltaprofUploads++;
          for (const config of Object.values(upload.sample_type_config ?? {})) {
            assertEquals(config.cumulative ?? false, false, "godeltaprof sends deltas");
          }
        }
        const file = `${dir}/sent-${profileFiles.length}.pprof`;
        Deno.writeFileSync(file, profile);
        profileFiles.push(file);
      }
      // google/pprof reads every profile the SDK sent (so what arrived): their sample types.
      const sampleTypes = new Set(
        jsonLines<Summary>((await runGoPeer(["pprof-summary", ...profileFiles])).stdout)
          .flatMap((summary) => summary.sample_types),
      );
      assert(
        deltaprofUploads >= 3,
        `godeltaprof (heap, mutex, block) uploads: ${deltaprofUploads}`,
      );
      for (
        const type of [
          "cpu/nanoseconds",
          "samples/count",
          "alloc_objects/count",
          "alloc_space/bytes",
          "inuse_objects/count",
          "inuse_space/bytes",
          "goroutine/count",
          "contentions/count",
          "delay/nanoseconds",
        ]
      ) assert(sampleTypes.has(type), `${type} in ${[...sampleTypes]}`);

      // The file exporter wrote every upload as received (multipart, `.multipart`); the profile
      // part of each opens with google/pprof, and with `go tool pprof` (one file per distinct
      // set of sample types: it takes about a second a file).
      let lines: { file: string; labels: Record<string, string>; content_type: string[] }[] = [];
      for (let i = 0; i < 100 && lines.length < sent.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          lines = jsonLines(Deno.readTextFileSync(`${dir}/profiles/index.jsonl`));
        } catch {
          // Not written yet.
        }
      }
      assertEquals(lines.length, sent.length, "one file per upload");
      const written: string[] = [];
      for (const line of lines) {
        assertEquals(line.labels.service_name, "gosdk-interop");
        assert(line.file.endsWith(".multipart"), line.file);
        const body = Deno.readFileSync(`${dir}/profiles/${line.file}`);
        const profile = (await parts(body, line.content_type.join(", "))).get("profile")!;
        assert(arrived.has(hex(profile)), `${line.file} holds a profile the SDK sent`);
        const file = `${dir}/profiles/${line.file}.profile`;
        Deno.writeFileSync(file, profile);
        written.push(file);
      }
      const summaries = jsonLines<Summary>((await runGoPeer(["pprof-summary", ...written])).stdout);
      assertEquals(summaries.length, written.length);
      const seen = new Set<string>();
      for (const [i, summary] of summaries.entries()) {
        const types = summary.sample_types.join(",");
        if (seen.has(types)) continue;
        seen.add(types);
        const raw = await goToolPprofRaw(written[i]!);
        assert(raw.includes("Samples:"), raw.slice(0, 300));
        for (const type of summary.sample_types) assert(raw.includes(type), `${type} in ${raw}`);
      }
    } finally {
      await proc.kill();
      await sink.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
