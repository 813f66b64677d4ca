import { assert, assertEquals } from "../tests/support/assert.ts";
import { Profcol, tempConfig } from "../tests/support/process.ts";
import { cgroupMemoryLimit, heapMiBFor, planHeapLimit } from "./heap_limit.ts";

const MiB = 1024 ** 2;

/** A fake cgroup root with one file. */
function fakeCgroup(path: string, content: string): string {
  const root = Deno.makeTempDirSync({ prefix: "profcol-cgroup-" });
  const file = `${root}/${path}`;
  Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(file, content);
  return root;
}

Deno.test("heap limit: cgroup v2 memory.max and v1 memory.limit_in_bytes, unlimited and absent", () => {
  const cases: [string, string, number | undefined][] = [
    ["memory.max", "536870912\n", 512 * MiB],
    ["memory.max", "max\n", undefined],
    ["memory/memory.limit_in_bytes", "268435456\n", 256 * MiB],
    ["memory/memory.limit_in_bytes", "9223372036854771712\n", undefined],
    ["unrelated", "1", undefined],
  ];
  for (const [path, content, expected] of cases) {
    const root = fakeCgroup(path, content);
    assertEquals(cgroupMemoryLimit(root), expected, `${path}: ${content}`);
    Deno.removeSync(root, { recursive: true });
  }
  assertEquals(heapMiBFor(512 * MiB), 256);
  assertEquals(heapMiBFor(64 * MiB), 64);
});

Deno.test("heap limit: relaunch only with a limit, no user setting, and a larger heap now", () => {
  const root = fakeCgroup("memory.max", String(1024 * MiB));
  const env = (vars: Record<string, string>) => (name: string) =>
    ({ PROFCOL_CGROUP_ROOT: root, ...vars })[name];
  try {
    assertEquals(planHeapLimit(env({}), 4096 * MiB), {
      relaunch: true,
      heapMiB: 512,
      limitBytes: 1024 * MiB,
    });
    assertEquals(planHeapLimit(env({}), 540 * MiB).relaunch, false);
    assertEquals(
      planHeapLimit(env({ PROFCOL_HEAP_FROM_CGROUP: "off" }), 4096 * MiB).relaunch,
      false,
    );
    assertEquals(
      planHeapLimit(env({ DENO_V8_FLAGS: "--max-old-space-size=900" }), 4096 * MiB).relaunch,
      false,
    );
    assertEquals(
      planHeapLimit(env({ PROFCOL_CGROUP_ROOT: `${root}/none` }), 4096 * MiB).relaunch,
      false,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("heap limit: `run` under a 512 MiB cgroup runs with a 256 MiB old space and stops on SIGTERM", async () => {
  const root = fakeCgroup("memory.max", String(512 * MiB));
  const dir = Deno.makeTempDirSync({ prefix: "profcol-heap-" });
  const config = tempConfig(
    `receivers:
  pyroscope.receive_http: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
exporters:
  file: { directory: ${dir}/profiles }
service:
  pipelines: { profiles: { receivers: [pyroscope.receive_http], exporters: [file] } }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`,
    dir,
  );
  const proc = new Profcol(["run", "--config", config], {
    entry: "main.ts",
    env: { PROFCOL_CGROUP_ROOT: root, PROFCOL_HEAP_FROM_CGROUP: "on" },
  });
  try {
    const line = await proc.waitFor(/V8 heap limit set from the cgroup memory limit.*/, 20_000);
    const field = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(line[0])![1]);
    assertEquals(field("memory_limit_bytes"), 512 * MiB);
    const heap = field("heap_limit_bytes");
    // heap_size_limit is the old space (256 MiB) plus the young generation.
    assert(heap >= 256 * MiB && heap < 384 * MiB, `heap_size_limit ${heap}`);
    // The signal handlers are installed once the collector has started.
    await proc.waitFor(/collector started/);
    proc.child.kill("SIGTERM");
    const status = await proc.exit();
    assertEquals(status.code, 0, proc.stderr);
    assert(/msg="?stopped"?/.test(proc.stderr), proc.stderr);
  } finally {
    // SIGTERM, which the parent forwards: a SIGKILL would leave the child running (in a
    // container, PID 1 exiting ends every process; here the child would keep stderr open).
    try {
      proc.child.kill("SIGTERM");
    } catch { /* exited */ }
    await proc.exit();
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(dir, { recursive: true });
  }
});
