/**
 * Interop: what the `file` exporter writes opens with `go tool pprof` — gzipped input kept
 * as is, and uncompressed input gzipped by the exporter.
 */
import { admit } from "../../core/admission.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { LabelSet } from "../../core/labels.ts";
import { testSettings } from "../../core/testing/conformance.ts";
import { FileExporter, fileExporterConfigSchema } from "../../exporters/file/mod.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";
import { emptyProfile, encodeProfile } from "../../pprof/profile.ts";

const ignore = skipUnlessPeer("go", "go tool pprof reads the written files");

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));

/** A small profile encoded by profcol's own codec. */
function ownProfile(): Uint8Array {
  const p = emptyProfile();
  p.stringTable.push("samples", "count", "main.work", "main.go");
  p.sampleType.push({ type: 1, unit: 2 });
  p.function.push({ id: 1, name: 3, systemName: 3, filename: 4, startLine: 1 });
  p.location.push({
    id: 1,
    mappingId: 0,
    address: 0x1000,
    line: [{ functionId: 1, line: 7, column: 0 }],
    isFolded: false,
  });
  p.sample.push({ locationId: [1], value: [42], label: [] });
  p.timeNanos = Date.now() * 1e6;
  return encodeProfile(p);
}

Deno.test({
  name: "interop: files written by the file exporter open with go tool pprof -raw",
  ignore,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "profcol-file-interop-" });
    const exporter = new FileExporter(
      testSettings("file"),
      fileExporterConfigSchema.parse({ directory }),
    );
    try {
      await exporter.start();
      const gzipped = fixture("heap.pb.gz");
      await admit(exporter, [{
        kind: "push",
        labels: LabelSet.from({ __name__: "memory", service_name: "interop" }),
        samples: [
          { rawProfile: gzipped },
          { rawProfile: gunzipIfNeeded(fixture("cpu.pb.gz"), 1 << 26) },
          { rawProfile: ownProfile() },
        ],
      }]);
      await exporter.shutdown();
      const lines = (await Deno.readTextFile(join(directory, "index.jsonl"))).trim().split("\n")
        .map((line) => JSON.parse(line));
      assertEquals(lines.length, 3);
      const raws = [];
      for (const line of lines) raws.push(await goToolPprofRaw(join(directory, line.file)));
      assert(raws[0]!.includes("inuse_space/bytes"), raws[0]);
      assert(raws[1]!.includes("cpu/nanoseconds"), raws[1]);
      assert(raws[2]!.includes("main.work") && raws[2]!.includes("42"), raws[2]);
      assertEquals(await Deno.readFile(join(directory, lines[0].file)), gzipped);
    } finally {
      await exporter.shutdown();
      await Deno.remove(directory, { recursive: true });
    }
  },
});
