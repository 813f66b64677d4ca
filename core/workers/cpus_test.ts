import { assertEquals } from "../../tests/support/assert.ts";
import { availableCpus, cgroupCpuQuota } from "./cpus.ts";

function cgroup(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync();
  for (const [path, text] of Object.entries(files)) {
    const full = `${root}/${path}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, text);
  }
  return root;
}

Deno.test("cpus: a cgroup v2 quota caps the cores, rounded up; max means unlimited", () => {
  const limited = cgroup({ "cpu.max": "150000 100000\n" });
  assertEquals(cgroupCpuQuota(limited), 1.5);
  assertEquals(availableCpus({ cgroupRoot: limited, hardwareConcurrency: 16 }), 2);
  assertEquals(availableCpus({ cgroupRoot: limited, hardwareConcurrency: 1 }), 1);
  const unlimited = cgroup({ "cpu.max": "max 100000\n" });
  assertEquals(availableCpus({ cgroupRoot: unlimited, hardwareConcurrency: 16 }), 16);
});

Deno.test("cpus: cgroup v1 quota/period; no cgroup files means the cores", () => {
  const v1 = cgroup({ "cpu/cpu.cfs_quota_us": "300000", "cpu/cpu.cfs_period_us": "100000" });
  assertEquals(availableCpus({ cgroupRoot: v1, hardwareConcurrency: 8 }), 3);
  const unset = cgroup({ "cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000" });
  assertEquals(availableCpus({ cgroupRoot: unset, hardwareConcurrency: 8 }), 8);
  assertEquals(availableCpus({ cgroupRoot: cgroup({}), hardwareConcurrency: 4 }), 4);
  assertEquals(availableCpus({ cgroupRoot: cgroup({}), hardwareConcurrency: 0 }), 1);
});
