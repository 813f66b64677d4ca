/**
 * Client-side delta throughput.
 *
 * - `delta_mb_per_s`: a fresh `DeltaComputer` primes on one real Go allocation profile and
 *   computes the delta of the next (bench/testdata/allocs_{1,2}.pb.gz, ~150 and ~420 KB
 *   decompressed, thousands of stacks), gunzip and gzip included. MB/s counts decompressed
 *   input bytes over the CPU time (user + system) of this process, so other work on a shared
 *   machine inflates it less than wall time would.
 * - Steady state against steady state on fastdelta's own test profiles (`heap.pprof`, 26 KB,
 *   and `big-heap.pprof`, 311 KB, from its `testdata/` in the published module fetched through
 *   the Go module proxy, bench/fastdelta/go.mod): fastdelta by its own
 *   `BenchmarkDelta/fastdelta/<file>/steady-state` (the package's test binary, `-test.cpu 1`:
 *   it deltas the profile against itself, uncompressed in and out); ours primes once on the
 *   same bytes and then deltas them again and again (decompressed in, gzipped out). Both
 *   single-threaded on wall time, alternating rounds, medians, so drift of a shared machine
 *   hits both. Keys `delta_steady_<f>_mb_per_s`, `fastdelta_steady_<f>_mb_per_s` and
 *   `delta_vs_fastdelta_<f>` for `heap` and `big_heap`; `fastdelta_mb_per_s`,
 *   `delta_steady_mb_per_s` and `delta_vs_fastdelta` repeat the `big_heap` figures.
 */

import process from "node:process";
import { gunzipSync } from "node:zlib";
import { DeltaComputer } from "../../pprof/delta.ts";
import { ROOT, round } from "../lib.ts";

const FASTDELTA_PKG = "github.com/DataDog/dd-trace-go/v2/profiler/internal/fastdelta";

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function goBinary(): string | undefined {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    try {
      const out = new Deno.Command(candidate, { args: ["version"], stdout: "null", stderr: "null" })
        .outputSync();
      if (out.success) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** Builds fastdelta's test binary; returns its path, or the reason it could not. */
async function buildFastdelta(dir: string): Promise<{ path?: string; reason?: string }> {
  const go = goBinary();
  if (!go) return { reason: "Go is not installed (needed to build fastdelta's benchmark)" };
  const path = `${dir}/fastdelta.test`;
  const out = await new Deno.Command(go, {
    args: ["test", "-c", "-o", path, FASTDELTA_PKG],
    cwd: `${ROOT}bench/fastdelta`,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    return { reason: `go test -c ${FASTDELTA_PKG} failed: ${err}` };
  }
  return { path };
}

/** fastdelta's own test profiles, steady state (key suffix → file in its testdata). */
const FASTDELTA_FILES = { heap: "heap.pprof", big_heap: "big-heap.pprof" } as const;

/** Where the Go module cache holds the fastdelta package (its testdata beside it). */
async function fastdeltaDir(go: string): Promise<string> {
  const out = await new Deno.Command(go, {
    args: ["list", "-f", "{{.Dir}}", FASTDELTA_PKG],
    cwd: `${ROOT}bench/fastdelta`,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
  return new TextDecoder().decode(out.stdout).trim();
}

/** One fastdelta benchmark run on `file` of its testdata: MB/s as Go reports it. */
async function runFastdelta(
  binary: string,
  cwd: string,
  file: string,
  benchtime: string,
): Promise<number> {
  const out = await new Deno.Command(binary, {
    args: [
      "-test.run",
      "^$",
      "-test.bench",
      `^BenchmarkDelta$/^fastdelta$/^${file.replaceAll(".", "\\.")}$/^steady-state$`,
      "-test.benchtime",
      benchtime,
      "-test.cpu",
      "1",
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = /([\d.]+) MB\/s/.exec(text);
  if (!m) throw new Error(`fastdelta benchmark printed no MB/s: ${text.slice(-300)}`);
  return Number(m[1]);
}

/** Our steady state on the fastdelta protocol: MB/s of `raw` over `ms` of wall time. */
function ourSteadyState(raw: Uint8Array, ms: number): number {
  const d = new DeltaComputer("memory");
  d.compute(raw);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    d.compute(raw);
    n++;
  }
  return (n * raw.byteLength) / 1e6 / ((performance.now() - t0) / 1000);
}

export async function deltaScenario(quick: boolean) {
  const first = Deno.readFileSync(`${ROOT}bench/testdata/allocs_1.pb.gz`);
  const second = Deno.readFileSync(`${ROOT}bench/testdata/allocs_2.pb.gz`);
  const rawFirst = gunzipSync(first);
  const rawSecond = gunzipSync(second);
  const rawBytes = rawFirst.byteLength + rawSecond.byteLength;
  const ms = quick ? 2000 : 6000;
  // Warm up the JIT on a few pairs first.
  for (let i = 0; i < 20; i++) {
    const d = new DeltaComputer("memory");
    d.compute(first);
    d.compute(second);
  }
  let pairs = 0;
  const started = performance.now();
  const cpu0 = cpuMs();
  while (performance.now() - started < ms) {
    const delta = new DeltaComputer("memory");
    delta.compute(first);
    if (!delta.compute(second)) throw new Error("delta produced nothing");
    pairs++;
  }
  const cpuSeconds = (cpuMs() - cpu0) / 1000;
  const wallSeconds = (performance.now() - started) / 1000;
  const result: Record<string, unknown> = {
    delta_mb_per_s: round((pairs * rawBytes) / 1e6 / cpuSeconds),
    delta_wall_mb_per_s: round((pairs * rawBytes) / 1e6 / wallSeconds),
    fastdelta_mb_per_s: null,
    delta_vs_fastdelta: null,
    notes: [] as string[],
  };

  const dir = Deno.makeTempDirSync({ prefix: "profcol-fastdelta-" });
  try {
    const built = await buildFastdelta(dir);
    if (!built.path) {
      (result.notes as string[]).push(`delta: fastdelta_mb_per_s null: ${built.reason}`);
      return result;
    }
    // Both on fastdelta's own test profiles, as its benchmark reads them (uncompressed).
    const cwd = await fastdeltaDir(goBinary()!);
    const rounds = quick ? 3 : 5;
    for (const [key, file] of Object.entries(FASTDELTA_FILES)) {
      const raw = Deno.readFileSync(`${cwd}/testdata/${file}`);
      const theirs: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < rounds; i++) {
        theirs.push(await runFastdelta(built.path, cwd, file, quick ? "40x" : "150x"));
        ours.push(ourSteadyState(raw, quick ? 600 : 2000));
      }
      result[`delta_steady_${key}_mb_per_s`] = round(median(ours));
      result[`fastdelta_steady_${key}_mb_per_s`] = round(median(theirs));
      result[`delta_vs_fastdelta_${key}`] = round(median(ours) / median(theirs), 2);
    }
    // The headline figures: big-heap.pprof (311 KB, 5,676 stacks), the larger of the two.
    result.fastdelta_mb_per_s = result.fastdelta_steady_big_heap_mb_per_s;
    result.delta_steady_mb_per_s = result.delta_steady_big_heap_mb_per_s;
    result.delta_vs_fastdelta = result.delta_vs_fastdelta_big_heap;
  } catch (error) {
    (result.notes as string[]).push(`delta: fastdelta comparison failed: ${error}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return result;
}
