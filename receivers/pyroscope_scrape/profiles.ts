/**
 * The built-in profile types and their defaults (docs/spec/pyroscope-wire.md §8.1), and how `profiling_config`
 * blocks override them: a present block only overrides the attributes it sets.
 *
 * @module
 */

/** Alloy's default `delta_profiling_duration`; an explicit 14s behaves like "not set". */
export const DEFAULT_DELTA_PROFILING_MS = 14_000;

/** One profile type as scraped. */
export interface ProfileType {
  /** The block name (`memory`, `godeltaprof_memory`, or a custom name). */
  readonly name: string;
  readonly enabled: boolean;
  readonly path: string;
  /** Ask the target for a delta over `seconds` (CPU-style). */
  readonly delta: boolean;
}

const DEFAULTS: readonly ProfileType[] = [
  { name: "memory", enabled: true, path: "/debug/pprof/allocs", delta: false },
  { name: "block", enabled: true, path: "/debug/pprof/block", delta: false },
  { name: "goroutine", enabled: true, path: "/debug/pprof/goroutine", delta: false },
  { name: "mutex", enabled: true, path: "/debug/pprof/mutex", delta: false },
  { name: "process_cpu", enabled: true, path: "/debug/pprof/profile", delta: true },
  { name: "fgprof", enabled: false, path: "/debug/fgprof", delta: true },
  { name: "godeltaprof_memory", enabled: false, path: "/debug/pprof/delta_heap", delta: false },
  { name: "godeltaprof_mutex", enabled: false, path: "/debug/pprof/delta_mutex", delta: false },
  { name: "godeltaprof_block", enabled: false, path: "/debug/pprof/delta_block", delta: false },
];

/** Names of the built-in `profile.<name>` blocks. */
export const PROFILE_BLOCKS: readonly string[] = DEFAULTS.map((p) => p.name);

/**
 * Types whose cumulative profiles get a client-side delta. The `godeltaprof_*` types are not in
 * it: the target already serves deltas, and they keep their own name as `__name__` (as Alloy
 * sends them; the Pyroscope server's default ingestion relabeling maps them to the plain type).
 */
export const CLIENT_DELTA_TYPES: ReadonlySet<string> = new Set(["memory", "block", "mutex"]);

interface ProfilingInput {
  readonly path_prefix?: string;
  readonly "profile.custom"?: Readonly<
    Record<string, { enabled: boolean; path: string; delta: boolean }>
  >;
  readonly [key: string]: unknown;
}

/**
 * Every profile type after applying `profiling_config`, built-ins first in a fixed order,
 * then custom ones sorted by name. A custom entry with a built-in name replaces it.
 */
export function resolveProfiles(config: ProfilingInput | undefined): ProfileType[] {
  const out = new Map<string, ProfileType>();
  for (const def of DEFAULTS) {
    const block = config?.[`profile.${def.name}`] as
      | { enabled?: boolean; path?: string; delta?: boolean }
      | undefined;
    out.set(def.name, {
      name: def.name,
      enabled: block?.enabled ?? def.enabled,
      path: block?.path ?? def.path,
      delta: block?.delta ?? def.delta,
    });
  }
  const custom = config?.["profile.custom"] ?? {};
  for (const name of Object.keys(custom).sort()) {
    const c = custom[name]!;
    out.set(name, { name, enabled: c.enabled, path: c.path, delta: c.delta });
  }
  return [...out.values()];
}
