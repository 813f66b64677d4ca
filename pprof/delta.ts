/**
 * Client-side delta of cumulative Go profiles (docs/spec/pyroscope-wire.md §8.6, Datadog fastdelta semantics), as
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
 * State is only what the next delta needs, in bytes of its own (never a view of the scraped
 * buffer, never the decoded profile): the 96-bit identity of each sample whose delta columns
 * are not all zero (12 bytes; a sample missing from the state is treated exactly like one whose
 * previous values were zero) and those cumulative values as sign-and-magnitude varints (usually
 * 4–6 bytes for two columns). That is about 0.2–0.45 of the decompressed profile for real Go
 * heap profiles. Its bytes are reserved in the process-wide {@linkcode DeltaMemory} budget
 * (`service.delta_memory`); past it the state is spilled to disk and read back at the next
 * profile (`delta_memory.ts`).
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
import { type DeltaMemory, deltaMemory } from "./delta_memory.ts";
import { MAX_PACKED_VALUE, packValue, unpackValues } from "./packed_values.ts";
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
  /** The budget the state is reserved in (default: the process-wide `deltaMemory`). */
  memory?: DeltaMemory;
  /** Who the state belongs to in the budget's limit counters (a component id). */
  owner?: string;
}

/** What the next delta needs from the previous profile. */
interface DeltaState {
  /** `type/unit` of every value type, joined: a change restarts priming. */
  readonly signature: string;
  /** Entries: samples whose delta columns were not all zero. */
  readonly count: number;
  /** Their identities, `a, b, c` interleaved (`identity.ts`); undefined while spilled. */
  lanes: Uint32Array | undefined;
  /** Their delta columns' cumulative values, packed (`packed_values.ts`); undefined while spilled. */
  values: Uint8Array | undefined;
  /** Bytes of data in `lanes` and `values` (to split a spill file). */
  readonly lanesBytes: number;
  readonly valuesBytes: number;
  /** Bytes reserved in the budget: the arrays' capacity (reused arrays may be a little larger). */
  readonly heldBytes: number;
  /** The spill file while the state is on disk. */
  spillPath: string | undefined;
  readonly timeNanos: number;
}

/** Computes deltas between consecutive cumulative profiles of one target. */
export class DeltaComputer {
  readonly #columns: readonly string[];
  readonly #maxBytes: number;
  readonly #memory: DeltaMemory;
  readonly #owner: string;
  #state: DeltaState | undefined;
  #poisoned = false;
  #error: Error | undefined;

  constructor(readonly kind: DeltaKind, options: DeltaOptions = {}) {
    this.#columns = DELTA_VALUE_TYPES[kind];
    this.#maxBytes = options.maxDecompressedBytes ?? 256 * 1024 * 1024;
    this.#memory = options.memory ?? deltaMemory;
    this.#owner = options.owner ?? "";
  }

  /** The error that poisoned the computer, until a later profile is processed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Bytes of state held in memory between profiles (0 while it is spilled to disk). */
  stateBytes(): number {
    const s = this.#state;
    return s && s.spillPath === undefined ? s.heldBytes : 0;
  }

  /** Whether the state is on disk (past `service.delta_memory`). */
  get spilled(): boolean {
    return this.#state?.spillPath !== undefined;
  }

  /** Forgets the previous profile (giving back its memory): the next one only primes again. */
  reset(): void {
    this.#drop(this.#state);
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
      this.#drop(this.#state);
      this.#state = undefined;
      this.#poisoned = true;
      this.#error = error instanceof Error ? error : new Error(String(error));
      throw this.#error;
    }
  }

  #compute(body: Uint8Array, nowNanos: number | undefined): Uint8Array | null {
    try {
      return this.#delta(gunzipIfNeeded(body, this.#maxBytes, { transient: true }), nowNanos);
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
    const nDelta = deltaCols.length;
    const timeNanos = scanned.timeNanos || nowNanos || Date.now() * 1e6;
    const current = scanned.table;
    const sums = scanned.sums;

    // The previous state, back in scratch (a table and plain values), before the new one is
    // packed from `sums` — the delta below then overwrites `sums` in place.
    const held = this.#state;
    this.#state = undefined;
    // Its arrays are free once unpacked: the new state reuses them when the sizes fit, which
    // spares two allocations of a few hundred KB per scrape of a large profile.
    const recycle = held?.lanes && held.values ? { lanes: held.lanes, values: held.values } : {};
    const previous = held?.signature === signature ? this.#load(held, nDelta) : undefined;
    if (!previous) this.#drop(held);
    this.#state = this.#pack(signature, current, sums, width, deltaCols, timeNanos, recycle);
    if (!previous) return null;

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

  /**
   * `held` unpacked into scratch (read back from disk when spilled), its memory given back;
   * undefined when its spill file cannot be read (counted as dropped: this profile primes).
   */
  #load(
    held: DeltaState,
    nDelta: number,
  ): { table: IdentityTable; values: Float64Array; timeNanos: number } | undefined {
    let lanes = held.lanes, packed = held.values;
    if (held.spillPath !== undefined) {
      const path = held.spillPath;
      held.spillPath = undefined;
      let bytes: Uint8Array;
      try {
        bytes = this.#memory.unspill(path);
        if (bytes.byteLength !== held.lanesBytes + held.valuesBytes) {
          throw new Error(
            `delta state file ${path} has ${bytes.byteLength} bytes, expected ${
              held.lanesBytes + held.valuesBytes
            }`,
          );
        }
      } catch (error) {
        this.#memory.recordLimit(this.#owner, "dropped", error);
        return undefined;
      }
      lanes = new Uint32Array(bytes.slice(0, held.lanesBytes).buffer);
      packed = bytes.subarray(held.lanesBytes);
    } else this.#memory.release(held.heldBytes);
    held.lanes = held.values = undefined;
    const values = unpackScratch(held.count * nDelta);
    unpackValues(packed!, values, held.count * nDelta);
    prevTable = IdentityTable.unpack(lanes!, held.count, prevTable);
    return { table: prevTable, values, timeNanos: held.timeNanos };
  }

  /** Gives back what `state` holds: its reserved memory or its spill file. */
  #drop(state: DeltaState | undefined): void {
    if (!state) return;
    if (state.spillPath !== undefined) this.#memory.discard(state.spillPath);
    else if (state.lanes) this.#memory.release(state.heldBytes);
    state.spillPath = undefined;
    state.lanes = state.values = undefined;
  }

  /**
   * The state for the next delta, packed from the grouped current profile: entries whose
   * delta columns are not all zero, in bytes of their own, in memory when the budget allows,
   * else spilled to disk, else dropped (counted by reason).
   */
  #pack(
    signature: string,
    current: IdentityTable,
    sums: Float64Array,
    width: number,
    deltaCols: readonly number[],
    timeNanos: number,
    recycle: { lanes?: Uint32Array; values?: Uint8Array },
  ): DeltaState | undefined {
    const n = current.size;
    const nDelta = deltaCols.length;
    const slots = keepScratch(n);
    let count = 0;
    for (let slot = 0; slot < n; slot++) {
      const base = slot * width;
      for (let k = 0; k < nDelta; k++) {
        if (sums[base + deltaCols[k]!] !== 0) {
          slots[count++] = slot;
          break;
        }
      }
    }
    const lanes = fits(recycle.lanes, count * 3) ? recycle.lanes! : new Uint32Array(count * 3);
    current.packSlots(slots, count, lanes);
    const packed = packScratch(count * nDelta * MAX_PACKED_VALUE);
    let length = 0;
    for (let k = 0; k < count; k++) {
      const base = slots[k]! * width;
      for (let c = 0; c < nDelta; c++) {
        length = packValue(sums[base + deltaCols[c]!]!, packed, length);
      }
    }
    // Copied out of the shared scratch: the state owns its bytes.
    const values = fits(recycle.values, length) ? recycle.values! : new Uint8Array(length);
    values.set(packed.subarray(0, length));
    const state: DeltaState = {
      signature,
      count,
      lanes,
      values,
      lanesBytes: count * 12,
      valuesBytes: length,
      heldBytes: lanes.byteLength + values.byteLength,
      spillPath: undefined,
      timeNanos,
    };
    if (this.#memory.tryReserve(state.heldBytes)) return state;
    try {
      state.spillPath = this.#memory.spill([
        new Uint8Array(lanes.buffer, lanes.byteOffset, state.lanesBytes),
        values.subarray(0, length),
      ]);
      state.lanes = state.values = undefined;
      this.#memory.recordLimit(this.#owner, "spilled");
      return state;
    } catch (error) {
      this.#memory.recordLimit(this.#owner, "dropped", error);
      return undefined;
    }
  }
}

/** Whether a recycled array of `array.length` serves `need` entries (at most 1/16 to spare). */
function fits(array: { length: number } | undefined, need: number): boolean {
  return array !== undefined && array.length >= need && array.length <= need + (need >> 4) + 64;
}

// Scratch shared by every computer (one compute runs at a time).
let keepSlots = new Int32Array(1024);
let prevSlots = new Int32Array(1024);
let packBytes = new Uint8Array(1 << 16);
let unpacked = new Float64Array(1024);
let prevTable: IdentityTable | undefined;
function packScratch(n: number): Uint8Array {
  if (packBytes.length < n) packBytes = new Uint8Array(Math.max(n, packBytes.length * 2));
  return packBytes;
}
function unpackScratch(n: number): Float64Array {
  if (unpacked.length < n) unpacked = new Float64Array(Math.max(n, unpacked.length * 2));
  return unpacked;
}
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
