/**
 * Interop: the collector's own profiles (`/debug/pprof/profile` and `/debug/pprof/heap`, V8's
 * profilers converted by `pprof/v8.ts`) are read by `go tool pprof -raw`, with their sample
 * types and the collector's frames (function, file, line) intact.
 */
import { assert, assertStringIncludes } from "../support/assert.ts";
import { join } from "node:path";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { SelfProfiler } from "../../core/admin/self_profile.ts";

const ignore = skipUnlessPeer("go", "go tool pprof reads the self-profiles");

function busyWorkForTheProfile(ms: number): number {
  let x = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

Deno.test({
  name: "interop: go tool pprof -raw reads the self CPU and heap profiles",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profcol-self-pprof-" });
    const profiler = new SelfProfiler();
    try {
      await profiler.startHeapSampling();
      const cpu = profiler.cpu(0.6);
      setTimeout(() => busyWorkForTheProfile(300), 50);
      const keep: unknown[] = [];
      for (let i = 0; i < 20_000; i++) keep.push({ i, text: `allocated ${i}` });
      await Deno.writeFile(join(dir, "cpu.pb.gz"), await cpu);
      await Deno.writeFile(join(dir, "heap.pb.gz"), await profiler.heap());
      assert(keep.length === 20_000);

      const cpuRaw = await goToolPprofRaw(join(dir, "cpu.pb.gz"));
      assertStringIncludes(cpuRaw, "PeriodType: cpu nanoseconds");
      assertStringIncludes(cpuRaw, "samples/count cpu/nanoseconds");
      assertStringIncludes(cpuRaw, "busyWorkForTheProfile");
      assert(
        /busyWorkForTheProfile file:\/\/\S*self_pprof_go_test\.ts:\d+/.test(cpuRaw),
        `frame with file and line in:\n${cpuRaw.slice(0, 2000)}`,
      );

      const heapRaw = await goToolPprofRaw(join(dir, "heap.pb.gz"));
      assertStringIncludes(heapRaw, "PeriodType: space bytes");
      assertStringIncludes(heapRaw, "inuse_objects/count inuse_space/bytes");
      assert(/\n\s+\d+\s+\d+: /.test(heapRaw), `a sample in:\n${heapRaw.slice(0, 2000)}`);
    } finally {
      await profiler.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
