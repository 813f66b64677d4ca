/**
 * Interop with google/pprof's `profile` package (github.com/google/pprof) as an independent
 * parser (tests/interop/gopeers `pprof-summary`, `pprof-diff`: sample types and per-stack
 * values, stacks as function names, labels included).
 *
 * 1. profcol's client-side delta of two scrapes of a real Go target (`allocs`, `mutex`, `block`)
 *    equals, on every delta column and stack, what Go computes as
 *    `profile.Merge(second, scale(first, -1))`.
 * 2. Every profile profcol delivers — pushed by `pyroscope.write` (strict sink records) and
 *    written by the file exporter, scraped deltas included — parses with google/pprof, carries
 *    the sample types of its profile type, and has the per-column totals profcol's own decoder
 *    reads; the file and the push of one profile hold the same values.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { jsonLines, runGoPeer, skipUnlessGoPeers, startGoServer } from "../support/gopeers.ts";
import { Profcol, tempConfig } from "../support/process.ts";
import { startSink } from "../support/strict_sink.ts";
import { DeltaComputer, type DeltaKind } from "../../pprof/delta.ts";
import { decodeProfile } from "../../pprof/profile.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";

const ignore = skipUnlessGoPeers("google/pprof profile parser");

interface Summary {
  sample_types: string[];
  samples: { stack: string; labels: Record<string, string>; values: number[] }[];
}

const DELTA_COLUMNS = [
  "alloc_objects/count",
  "alloc_space/bytes",
  "contentions/count",
  "delay/nanoseconds",
];

/** key (stack + labels) → values of the delta columns, entries all zero left out. */
function deltaColumns(summary: Summary): Map<string, number[]> {
  const columns = summary.sample_types.flatMap((t, i) => DELTA_COLUMNS.includes(t) ? [i] : []);
  const out = new Map<string, number[]>();
  for (const s of summary.samples) {
    const values = columns.map((i) => s.values[i]!);
    if (values.every((v) => v === 0)) continue;
    const key = `${s.stack} ${JSON.stringify(s.labels)}`;
    const prev = out.get(key) ?? values.map(() => 0);
    out.set(key, prev.map((v, i) => v + values[i]!));
  }
  return out;
}

async function scrape(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  assertEquals(response.status, 200);
  return new Uint8Array(await response.arrayBuffer());
}

/** Per-column totals as profcol's decoder reads them. */
function ownTotals(bytes: Uint8Array): number[] {
  const p = decodeProfile(gunzipIfNeeded(bytes, 1 << 28));
  const totals = p.sampleType.map(() => 0);
  for (const s of p.sample) s.value.forEach((v, i) => totals[i]! += Number(v));
  return totals;
}

function goTotals(summary: Summary): number[] {
  const totals = summary.sample_types.map(() => 0);
  for (const s of summary.samples) s.values.forEach((v, i) => totals[i]! += v);
  return totals;
}

Deno.test({
  name: "interop: profcol's delta equals google/pprof Merge(second, -first) per stack",
  ignore,
  async fn() {
    const target = await startGoServer(["deltaprof"]);
    const dir = Deno.makeTempDirSync({ prefix: "profcol-gopprof-delta-" });
    try {
      const kinds: [DeltaKind, string][] = [
        ["memory", "/debug/pprof/allocs"],
        ["mutex", "/debug/pprof/mutex"],
        ["block", "/debug/pprof/block"],
      ];
      for (const [kind, path] of kinds) {
        const delta = new DeltaComputer(kind);
        const first = await scrape(`${target.url}${path}`);
        assertEquals(delta.compute(first), null, "the first scrape only primes");
        await new Promise((r) => setTimeout(r, 300));
        const second = await scrape(`${target.url}${path}`);
        const out = delta.compute(second);
        assert(out, `${kind}: the second scrape yields a delta`);
        const files = ["first", "second", "delta"].map((n) => join(dir, `${kind}.${n}.pb.gz`));
        Deno.writeFileSync(files[0]!, first);
        Deno.writeFileSync(files[1]!, second);
        Deno.writeFileSync(files[2]!, out);
        const [ours] = jsonLines<Summary>((await runGoPeer(["pprof-summary", files[2]!])).stdout);
        const [go] = jsonLines<Summary>(
          (await runGoPeer(["pprof-diff", files[0]!, files[1]!])).stdout,
        );
        assertEquals(ours!.sample_types, go!.sample_types, kind);
        const mine = deltaColumns(ours!);
        assert(mine.size > 0, `${kind}: the workload kept running, so the delta is not empty`);
        assertEquals(
          Object.fromEntries([...mine].sort()),
          Object.fromEntries([...deltaColumns(go!)].sort()),
          `${kind}: delta columns per stack`,
        );
      }
    } finally {
      await target.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

const TYPES: Record<string, string[]> = {
  process_cpu: ["samples/count", "cpu/nanoseconds"],
  memory: ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"],
  mutex: ["contentions/count", "delay/nanoseconds"],
  block: ["contentions/count", "delay/nanoseconds"],
  goroutine: ["goroutine/count"],
};

Deno.test({
  name: "interop: every profile pushed (strict sink) and written (file) parses with google/pprof",
  ignore,
  async fn() {
    const target = await startGoServer(["deltaprof"]);
    const sink = await startSink();
    const dir = Deno.makeTempDirSync({ prefix: "profcol-gopprof-out-" });
    const config = `receivers:
  pyroscope.scrape/go:
    targets: [{ __address__: "${target.address}", service_name: go-target }]
    scrape_interval: 2s
    scrape_timeout: 5s
exporters:
  pyroscope.write/sink:
    endpoint:
      - url: ${sink.url}
  file: { directory: ${dir}/profiles }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.scrape/go]
      exporters: [pyroscope.write/sink, file]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
    const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
    try {
      const have = (type: string) => sink.pushes.some((p) => p.labels.__name__ === type);
      const deadline = Date.now() + 25_000;
      while (!Object.keys(TYPES).every(have) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert(
        Object.keys(TYPES).every(have),
        `missing: ${Object.keys(TYPES).filter((t) => !have(t))}\n${proc.stderr}`,
      );
      // Let the file exporter catch up with what the sink has, then stop.
      const indexed = () => {
        try {
          return jsonLines(Deno.readTextFileSync(`${dir}/profiles/index.jsonl`)).length;
        } catch {
          return 0;
        }
      };
      const pushedSoFar = sink.pushes.length;
      for (let i = 0; i < 100 && indexed() < pushedSoFar; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await proc.kill();

      // Pushed: each raw profile parses with google/pprof, with its type's sample types and the
      // totals profcol's decoder reads.
      const pushes = sink.pushes.slice(0, pushedSoFar).filter((p) => p.labels.__name__! in TYPES);
      const pushFiles = pushes.map((p, i) => {
        const file = join(dir, `push-${i}.pb`);
        Deno.writeFileSync(file, p.rawProfile);
        return file;
      });
      const pushed = jsonLines<Summary>((await runGoPeer(["pprof-summary", ...pushFiles])).stdout);
      assertEquals(pushed.length, pushes.length);
      const byId = new Map<string, number[]>();
      pushes.forEach((p, i) => {
        const summary = pushed[i]!;
        assertEquals(summary.sample_types, TYPES[p.labels.__name__!], p.labels.__name__);
        assertEquals(goTotals(summary), ownTotals(p.rawProfile), `${p.labels.__name__} totals`);
        if (p.labels.__delta__ === "false") {
          assert(["memory", "mutex", "block"].includes(p.labels.__name__!));
        }
        byId.set(`${p.labels.__name__}:${goTotals(summary).join(",")}`, goTotals(summary));
      });
      assert(pushes.some((p) => p.labels.__delta__ === "false"), "deltas were pushed");

      // Written: the same profiles, with the same values.
      const lines = jsonLines<{ file: string; labels: Record<string, string> }>(
        Deno.readTextFileSync(`${dir}/profiles/index.jsonl`),
      ).filter((l) => l.labels.__name__! in TYPES);
      assert(lines.length >= pushes.length, `${lines.length} files for ${pushes.length} pushes`);
      const written = jsonLines<Summary>(
        (await runGoPeer(["pprof-summary", ...lines.map((l) => `${dir}/profiles/${l.file}`)]))
          .stdout,
      );
      lines.forEach((line, i) => {
        const summary = written[i]!;
        assertEquals(summary.sample_types, TYPES[line.labels.__name__!], line.file);
        const file = Deno.readFileSync(`${dir}/profiles/${line.file}`);
        assertEquals(goTotals(summary), ownTotals(file), `${line.file} totals`);
      });
      // Every pushed profile has a written twin with identical values.
      const writtenKeys = new Set(
        lines.map((l, i) => `${l.labels.__name__}:${goTotals(written[i]!).join(",")}`),
      );
      for (const key of byId.keys()) assert(writtenKeys.has(key), `no file matches push ${key}`);
    } finally {
      await proc.kill();
      await sink.close();
      await target.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
