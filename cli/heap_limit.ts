/**
 * V8's heap limit from the container's memory limit. V8 sizes its old space from the machine's
 * memory, not the cgroup's, so a collector in a 512 MiB container would grow its heap until the
 * kernel kills it instead of collecting garbage sooner. `profcol run` therefore reads the cgroup
 * limit at start-up (v2 `memory.max`, else v1 `memory/memory.limit_in_bytes`) and, when the
 * heap limit V8 got is larger than {@linkcode HEAP_SHARE} of it, starts itself again as a child
 * with `DENO_V8_FLAGS=--max-old-space-size=<MiB>` (V8 cannot change it once running; Deno has
 * no `exec`). The parent only forwards signals and the exit status; it has loaded nothing but
 * this module.
 *
 * `PROFCOL_HEAP_FROM_CGROUP=off` disables it; a `--max-old-space-size` already in
 * `DENO_V8_FLAGS` or `--v8-flags` wins; `PROFCOL_CGROUP_ROOT` names another cgroup root (tests).
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";

/** The part of the memory limit given to V8's old space; the rest is for buffers and code. */
export const HEAP_SHARE = 0.5;
/** The smallest heap this sets, whatever the limit (MiB). */
export const MIN_HEAP_MIB = 64;
/** Cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX × page size). */
const V1_UNLIMITED = 2 ** 62;

/** The cgroup memory limit in bytes, or `undefined` when there is none or no cgroup file. */
export function cgroupMemoryLimit(root = "/sys/fs/cgroup"): number | undefined {
  for (const file of [`${root}/memory.max`, `${root}/memory/memory.limit_in_bytes`]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file).trim();
    } catch {
      continue;
    }
    if (text === "max") return undefined;
    const bytes = Number(text);
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes >= V1_UNLIMITED) return undefined;
    return bytes;
  }
  return undefined;
}

/** Set in the child to the memory limit it was started for (logged by `run`). */
export const RELAUNCHED_FOR = "PROFCOL_HEAP_SET_FOR_MEMORY_LIMIT";

/** What `run` logs at start: the memory limit the heap was sized for, if it was. */
export function heapLimitLogFields(): Record<string, number> | undefined {
  const limit = Number(Deno.env.get(RELAUNCHED_FOR));
  if (!(limit > 0)) return undefined;
  return { memory_limit_bytes: limit, heap_limit_bytes: getHeapStatistics().heap_size_limit };
}

/** The `--max-old-space-size` (MiB) for a memory limit. */
export function heapMiBFor(limitBytes: number): number {
  return Math.max(MIN_HEAP_MIB, Math.floor(limitBytes * HEAP_SHARE / 1024 ** 2));
}

/** What start-up should do about the heap limit. */
export type HeapPlan =
  | { readonly relaunch: false; readonly why: string }
  | { readonly relaunch: true; readonly heapMiB: number; readonly limitBytes: number };

/** Decides from the environment, the cgroup and the heap V8 has now. */
export function planHeapLimit(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
  currentHeapBytes: number = getHeapStatistics().heap_size_limit,
): HeapPlan {
  if (env("PROFCOL_HEAP_FROM_CGROUP") === "off") {
    return { relaunch: false, why: "PROFCOL_HEAP_FROM_CGROUP=off" };
  }
  if (/--max[-_]old[-_]space[-_]size/.test(env("DENO_V8_FLAGS") ?? "")) {
    return { relaunch: false, why: "DENO_V8_FLAGS sets --max-old-space-size" };
  }
  const limitBytes = cgroupMemoryLimit(env("PROFCOL_CGROUP_ROOT") || undefined);
  if (limitBytes === undefined) return { relaunch: false, why: "no cgroup memory limit" };
  const heapMiB = heapMiBFor(limitBytes);
  // heap_size_limit includes the young generation, so compare with some room.
  if (currentHeapBytes <= (heapMiB + 64) * 1024 ** 2) {
    return { relaunch: false, why: "the heap limit is already within the memory limit" };
  }
  return { relaunch: true, heapMiB, limitBytes };
}

/** The command that starts this same program again. */
function selfCommand(): { command: string; args: string[] } {
  const standalone = (Deno.build as { standalone?: boolean }).standalone === true;
  return standalone
    ? { command: Deno.execPath(), args: Deno.args }
    : { command: Deno.execPath(), args: ["run", "--allow-all", Deno.mainModule, ...Deno.args] };
}

/**
 * Runs the program again with the heap limit set, when {@linkcode planHeapLimit} says so, and
 * returns its exit status; `undefined` means: go on in this process.
 */
export async function relaunchWithHeapLimit(): Promise<number | undefined> {
  const plan = planHeapLimit();
  if (!plan.relaunch) return undefined;
  const flags = [Deno.env.get("DENO_V8_FLAGS"), `--max-old-space-size=${plan.heapMiB}`]
    .filter(Boolean).join(",");
  const { command, args } = selfCommand();
  const child = new Deno.Command(command, {
    args,
    env: {
      DENO_V8_FLAGS: flags,
      PROFCOL_HEAP_FROM_CGROUP: "off",
      [RELAUNCHED_FOR]: String(plan.limitBytes),
    },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forwarded: [Deno.Signal, () => void][] = [];
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const forward = () => {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
    };
    try {
      Deno.addSignalListener(signal, forward);
      forwarded.push([signal, forward]);
    } catch { /* not on this platform */ }
  }
  const status = await child.status;
  for (const [signal, forward] of forwarded) Deno.removeSignalListener(signal, forward);
  return status.signal ? 128 + signalNumber(status.signal) : status.code;
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ??
    1;
}
