/**
 * Client-side delta throughput: a fresh `DeltaComputer` primes on one real Go allocation
 * profile and computes the delta of the next (bench/testdata/allocs_{1,2}.pb.gz, ~150 and
 * ~420 KB decompressed, thousands of stacks). MB/s counts decompressed input bytes.
 */

import { gunzipSync } from "node:zlib";
import { DeltaComputer } from "../../pprof/delta.ts";
import { ROOT, round } from "../lib.ts";

export function deltaScenario(quick: boolean) {
  const first = Deno.readFileSync(`${ROOT}bench/testdata/allocs_1.pb.gz`);
  const second = Deno.readFileSync(`${ROOT}bench/testdata/allocs_2.pb.gz`);
  const rawBytes = gunzipSync(first).byteLength + gunzipSync(second).byteLength;
  const ms = quick ? 2000 : 6000;
  // Warm up the JIT on a couple of pairs first.
  for (let i = 0; i < 3; i++) {
    const d = new DeltaComputer("memory");
    d.compute(first);
    d.compute(second);
  }
  let pairs = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    const delta = new DeltaComputer("memory");
    delta.compute(first);
    if (!delta.compute(second)) throw new Error("delta produced nothing");
    pairs++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { delta_mb_per_s: round((pairs * rawBytes) / 1e6 / seconds) };
}
