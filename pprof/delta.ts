/**
 * Client-side delta of cumulative Go profiles (spec §8.6, Datadog fastdelta semantics), as
 * Alloy's scraper does for memory, block and mutex profiles.
 *
 * - The first profile only primes the state: `compute` returns `null`.
 * - Identity of a sample: its stack as location addresses (function name + line when the
 *   address is 0) plus its labels, order-insensitive; see `identity.ts` for the 96-bit hash.
 * - Duplicate samples (same identity) are merged into the first one, all values added.
 * - Delta value types (memory: `alloc_objects`/`count`, `alloc_space`/`bytes`; block and
 *   mutex: `contentions`/`count`, `delay`/`nanoseconds`) become current − previous; other
 *   value types (`inuse_*`) pass through. Samples whose values are all zero are left out.
 * - Counters that went backwards (the target restarted, or its stack was recycled): the
 *   sample is treated as new and its current values are emitted, never a negative value.
 * - `time_nanos` is kept; `duration_nanos` = this time − previous time.
 * - A change of the profile's value types restarts priming (returns `null`).
 * - After an error the computer is poisoned: `compute` throws, the state is dropped, and the
 *   next profile only primes again (returns `null`). {@linkcode DeltaComputer.error} keeps
 *   the error until a profile goes through.
 * - Output drops locations and functions no kept sample references, and blanks unreferenced
 *   strings while keeping their indices; it is always gzipped.
 *
 * State is one {@linkcode IdentityTable} plus a `Float64Array` of the previous cumulative
 * values of the delta columns only — never the decoded profile.
 *
 * The work is streamed over the wire format (`wire_delta.ts`, in the style of fastdelta): no
 * `Sample` objects are built; unchanged messages are copied through as byte ranges.
 *
 * @example
 * ```ts
 * import { DeltaComputer } from "./delta.ts";
 * import { decodeProfile, emptyProfile, encodeProfile } from "./profile.ts";
 * import { gunzipIfNeeded } from "./gzip.ts";
 * // A cumulative heap profile: one stack that has allocated `objects` objects so far.
 * const scrape = (objects: number) => {
 *   const profile = emptyProfile();
 *   profile.stringTable.push("alloc_objects", "count");
 *   profile.sampleType.push({ type: 1, unit: 2 });
 *   profile.location.push({ id: 1, mappingId: 0, address: 0x1000, line: [], isFolded: false });
 *   profile.sample.push({ locationId: [1], value: [objects], label: [] });
 *   return encodeProfile(profile);
 * };
 * const delta = new DeltaComputer("memory");
 * delta.compute(scrape(100)); // null: primes the state
 * const out = delta.compute(scrape(130))!; // gzipped pprof holding only what was allocated in between
 * decodeProfile(gunzipIfNeeded(out, 1 << 20)).sample[0]!.value; // [30]
 * ```
 * @module
 */

import type { Profile } from "./profile.ts";
import { gunzipIfNeeded, gzip } from "./gzip.ts";
import { IdentityTable } from "./identity.ts";
import { releaseScan, scannedDurationNanos, scanProfile, writeDelta } from "./wire_delta.ts";

/** Which cumulative profile a {@linkcode DeltaComputer} handles. */
export type DeltaKind = "memory" | "block" | "mutex";

/** `type/unit` of the value types that get current − previous, per kind. */
export const DELTA_VALUE_TYPES: Readonly<Record<DeltaKind, readonly string[]>> = {
  memory: ["alloc_objects/count", "alloc_space/bytes"],
  block: ["contentions/count", "delay/nanoseconds"],
  mutex: ["contentions/count", "delay/nanoseconds"],
};

/** Options of {@linkcode DeltaComputer}. */
export interface DeltaOptions {
  /** Cap on a decompressed profile, in bytes (default 256 MiB). */
  maxDecompressedBytes?: number;
}

interface DeltaState {
  /** `type/unit` of every value type, joined: a change restarts priming. */
  readonly signature: string;
  readonly table: IdentityTable;
  /** Previous cumulative values of the delta columns, `table slot × columns`. */
  readonly values: Float64Array;
  readonly timeNanos: number;
}

/** Computes deltas between consecutive cumulative profiles of one target. */
export class DeltaComputer {
  readonly #columns: readonly string[];
  readonly #maxBytes: number;
  #state: DeltaState | undefined;
  #poisoned = false;
  #error: Error | undefined;

  constructor(readonly kind: DeltaKind, options: DeltaOptions = {}) {
    this.#columns = DELTA_VALUE_TYPES[kind];
    this.#maxBytes = options.maxDecompressedBytes ?? 256 * 1024 * 1024;
  }

  /** The error that poisoned the computer, until a later profile is processed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Approximate bytes of state kept between profiles (typed arrays; exact for them). */
  stateBytes(): number {
    const s = this.#state;
    return s ? s.table.bytes + s.values.byteLength : 0;
  }

  /** Forgets the previous profile: the next one only primes again. */
  reset(): void {
    this.#state = undefined;
    this.#poisoned = false;
  }

  /**
   * Returns the gzipped delta between `body` (pprof, gzipped or not) and the previous
   * profile, or `null` when this profile only primed the state. `nowNanos` stands in for a
   * missing `time_nanos`. Throws on invalid input, poisoning the computer.
   */
  compute(body: Uint8Array, nowNanos?: number): Uint8Array | null {
    if (this.#poisoned) this.reset();
    try {
      const result = this.#compute(body, nowNanos);
      this.#error = undefined;
      return result;
    } catch (error) {
      this.#state = undefined;
      this.#poisoned = true;
      this.#error = error instanceof Error ? error : new Error(String(error));
      throw this.#error;
    }
  }

  #compute(body: Uint8Array, nowNanos: number | undefined): Uint8Array | null {
    try {
      return this.#delta(gunzipIfNeeded(body, this.#maxBytes), nowNanos);
    } finally {
      releaseScan();
    }
  }

  #delta(buf: Uint8Array, nowNanos: number | undefined): Uint8Array | null {
    const scanned = scanProfile(buf);
    const types = scanned.types;
    const signature = types.join(",");
    const width = types.length;
    const deltaCols: number[] = [];
    types.forEach((t, i) => this.#columns.includes(t) && deltaCols.push(i));
    const timeNanos = scanned.timeNanos || nowNanos || Date.now() * 1e6;
    const current = scanned.table;
    const sums = scanned.sums;

    const previous = this.#state?.signature === signature ? this.#state : undefined;
    this.#state = this.#nextState(signature, current, sums, width, deltaCols, timeNanos);
    if (!previous) return null;

    // current − previous in place (the new state is already copied out of `sums`).
    const nDelta = deltaCols.length;
    const prevValues = previous.values;
    const keep = keepScratch(current.size);
    const prevSlots = prevScratch(current.size);
    previous.table.findAll(current, prevSlots);
    let nKeep = 0;
    for (let slot = 0; slot < current.size; slot++) {
      const base = slot * width;
      const prevSlot = prevSlots[slot]!;
      if (prevSlot >= 0) {
        let wentBack = false;
        for (let k = 0; k < nDelta; k++) {
          if (sums[base + deltaCols[k]!]! < prevValues[prevSlot * nDelta + k]!) wentBack = true;
        }
        if (!wentBack) {
          for (let k = 0; k < nDelta; k++) {
            sums[base + deltaCols[k]!]! -= prevValues[prevSlot * nDelta + k]!;
          }
        }
      }
      let zero = true;
      for (let j = 0; j < width; j++) if (sums[base + j] !== 0) zero = false;
      if (!zero) keep[nKeep++] = slot;
    }
    const duration = timeNanos > previous.timeNanos
      ? timeNanos - previous.timeNanos
      : scannedDurationNanos();
    return gzip(writeDelta(keep, nKeep, sums, width, timeNanos, duration));
  }

  #nextState(
    signature: string,
    current: IdentityTable,
    sums: Float64Array,
    width: number,
    deltaCols: readonly number[],
    timeNanos: number,
  ): DeltaState {
    // A right-sized copy: the grouping table was sized for every sample, duplicates included.
    const n = current.size;
    const table = IdentityTable.copyOf(current);
    const nDelta = deltaCols.length;
    const values = new Float64Array(n * nDelta);
    for (let slot = 0; slot < n; slot++) {
      for (let k = 0; k < nDelta; k++) {
        values[slot * nDelta + k] = sums[slot * width + deltaCols[k]!]!;
      }
    }
    return { signature, table, values, timeNanos };
  }
}

// Scratch shared by every computer (one compute runs at a time).
let keepSlots = new Int32Array(1024);
let prevSlots = new Int32Array(1024);
function keepScratch(n: number): Int32Array {
  if (keepSlots.length < n) keepSlots = new Int32Array(Math.max(n, keepSlots.length * 2));
  return keepSlots;
}
function prevScratch(n: number): Int32Array {
  if (prevSlots.length < n) prevSlots = new Int32Array(Math.max(n, prevSlots.length * 2));
  return prevSlots;
}

/**
 * Removes locations and functions no sample references and blanks strings nothing
 * references, keeping string indices stable (fastdelta does the same for strings). A delta
 * usually keeps a small part of the stacks, so this shrinks what is sent.
 */
export function pruneUnreferenced(p: Profile): void {
  const usedLocations = new Set<number>();
  for (const s of p.sample) for (const id of s.locationId) usedLocations.add(id);
  p.location = p.location.filter((l) => usedLocations.has(l.id));
  const usedFunctions = new Set<number>();
  for (const l of p.location) for (const line of l.line) usedFunctions.add(line.functionId);
  p.function = p.function.filter((f) => usedFunctions.has(f.id));

  const used = new Uint8Array(p.stringTable.length);
  const mark = (i: number) => {
    if (i > 0 && i < used.length) used[i] = 1;
  };
  for (const t of p.sampleType) mark(t.type), mark(t.unit);
  if (p.periodType) mark(p.periodType.type), mark(p.periodType.unit);
  for (const s of p.sample) for (const l of s.label) mark(l.key), mark(l.str), mark(l.numUnit);
  for (const m of p.mapping) mark(m.filename), mark(m.buildId);
  for (const f of p.function) mark(f.name), mark(f.systemName), mark(f.filename);
  for (const c of p.comment) mark(c);
  mark(p.dropFrames);
  mark(p.keepFrames);
  mark(p.defaultSampleType);
  mark(p.docUrl);
  for (let i = 1; i < used.length; i++) if (used[i] === 0) p.stringTable[i] = "";
}
