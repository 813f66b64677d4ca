/**
 * How many CPUs this process may use: the cgroup CPU quota when one is set (v2
 * `/sys/fs/cgroup/cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), capped by
 * `navigator.hardwareConcurrency`; a container limited to 1.5 CPUs gets 2 worker threads on a
 * 16-core node, not 16. It is the default of `service.workers`.
 *
 * @module
 */

/** Where the cgroup files are read from (tests point this at a fixture directory). */
export interface CpuSources {
  readonly cgroupRoot?: string;
  readonly hardwareConcurrency?: number;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return undefined; // absent or unreadable: no quota from this source
  }
}

/** The CPU quota as a fraction of CPUs (e.g. 1.5), or undefined when unlimited or unknown. */
export function cgroupCpuQuota(root = "/sys/fs/cgroup"): number | undefined {
  const v2 = readText(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === undefined || quota === "max") return undefined;
    const q = Number(quota), p = Number(period ?? 100_000);
    return q > 0 && p > 0 ? q / p : undefined;
  }
  for (const dir of [`${root}/cpu`, `${root}/cpu,cpuacct`, root]) {
    const quota = Number(readText(`${dir}/cpu.cfs_quota_us`) ?? NaN);
    const period = Number(readText(`${dir}/cpu.cfs_period_us`) ?? NaN);
    if (quota > 0 && period > 0) return quota / period;
  }
  return undefined;
}

/** Whole CPUs available to the process (at least 1): `ceil(quota)` capped by the cores. */
export function availableCpus(sources: CpuSources = {}): number {
  const cores = Math.max(1, sources.hardwareConcurrency ?? navigator.hardwareConcurrency ?? 1);
  const quota = cgroupCpuQuota(sources.cgroupRoot);
  return quota === undefined ? cores : Math.max(1, Math.min(cores, Math.ceil(quota)));
}
