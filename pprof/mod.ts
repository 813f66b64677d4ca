/**
 * pprof support: the `Profile` codec, capped gzip helpers, cheap sniffing and the client-side
 * delta of cumulative profiles.
 *
 * @module
 */

export * from "./profile.ts";
export * from "./gzip.ts";
export * from "./sniff.ts";
export {
  DELTA_VALUE_TYPES,
  DeltaComputer,
  type DeltaKind,
  type DeltaOptions,
  pruneUnreferenced,
} from "./delta.ts";
export {
  DEFAULT_DELTA_MEMORY,
  type DeltaLimitReason,
  DeltaMemory,
  deltaMemory,
  type DeltaMemoryLogger,
} from "./delta_memory.ts";
