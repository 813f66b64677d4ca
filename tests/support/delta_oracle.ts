/**
 * The object-building client-side delta that `pprof/delta.ts` used before the streaming one
 * (`pprof/wire_delta.ts`): decode the whole profile, group `Sample` objects by identity,
 * re-encode. Kept only as the test oracle of `pprof/delta_equivalence_test.ts`.
 *
 * @module
 */

import {
  decodeProfile,
  encodeProfile,
  type Profile,
  ProfileDecodeError,
  type Sample,
} from "../../pprof/profile.ts";
import { stringAt } from "./pprof_strings.ts";
import { gunzipIfNeeded, gzip } from "../../pprof/gzip.ts";
import { C1, C2, fmix, IdentityTable, round, SEEDS } from "../../pprof/identity.ts";
import {
  DELTA_VALUE_TYPES,
  type DeltaKind,
  type DeltaOptions,
  pruneUnreferenced,
} from "../../pprof/delta.ts";

interface DeltaState {
  /** `type/unit` of every value type, joined: a change restarts priming. */
  readonly signature: string;
  readonly table: IdentityTable;
  /** Previous cumulative values of the delta columns, `table slot × columns`. */
  readonly values: Float64Array;
  readonly timeNanos: number;
}

/** Computes deltas between consecutive cumulative profiles of one target. */
export class OracleDeltaComputer {
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
    const profile = decodeProfile(gunzipIfNeeded(body, this.#maxBytes));
    const types = profile.sampleType.map((t) =>
      `${stringAt(profile, t.type, "sample_type.type")}/${
        stringAt(profile, t.unit, "sample_type.unit")
      }`
    );
    const signature = types.join(",");
    const width = types.length;
    const deltaCols: number[] = [];
    types.forEach((t, i) => this.#columns.includes(t) && deltaCols.push(i));
    const timeNanos = profile.timeNanos || nowNanos || Date.now() * 1e6;

    // Group samples by identity; sums hold every value column.
    const samples = profile.sample;
    const hasher = new IdentityHasher(profile);
    const current = new IdentityTable(samples.length);
    const sums = new Float64Array(samples.length * width);
    const first = new Int32Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const value = samples[i]!.value;
      if (value.length !== width) {
        throw new Error(`sample ${i} has ${value.length} values, expected ${width}`);
      }
      const h = hasher.hashSample(i);
      const before = current.size;
      const slot = current.insert(h[0]!, h[1]!, h[2]!);
      if (slot === before) first[slot] = i;
      const base = slot * width;
      for (let j = 0; j < width; j++) sums[base + j]! += value[j]!;
    }

    const previous = this.#state?.signature === signature ? this.#state : undefined;
    this.#state = this.#nextState(signature, current, sums, width, deltaCols, timeNanos);
    if (!previous) return null;

    const out: Sample[] = [];
    const nDelta = deltaCols.length;
    for (let slot = 0; slot < current.size; slot++) {
      const base = slot * width;
      const values = Array.from(sums.subarray(base, base + width));
      const prevSlot = previous.table.find(current.a[slot]!, current.b[slot]!, current.c[slot]!);
      if (prevSlot >= 0) {
        let wentBack = false;
        for (let k = 0; k < nDelta; k++) {
          if (values[deltaCols[k]!]! < previous.values[prevSlot * nDelta + k]!) wentBack = true;
        }
        if (!wentBack) {
          for (let k = 0; k < nDelta; k++) {
            values[deltaCols[k]!]! -= previous.values[prevSlot * nDelta + k]!;
          }
        }
      }
      if (values.every((v) => v === 0)) continue;
      const sample = samples[first[slot]!]!;
      out.push({ locationId: sample.locationId, value: values, label: sample.label });
    }

    profile.sample = out;
    if (timeNanos > previous.timeNanos) profile.durationNanos = timeNanos - previous.timeNanos;
    if (!profile.timeNanos) profile.timeNanos = timeNanos;
    pruneUnreferenced(profile);
    return gzip(encodeProfile(profile));
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
    const table = new IdentityTable(n);
    const nDelta = deltaCols.length;
    const values = new Float64Array(n * nDelta);
    for (let slot = 0; slot < n; slot++) {
      const s = table.insert(current.a[slot]!, current.b[slot]!, current.c[slot]!);
      for (let k = 0; k < nDelta; k++) values[s * nDelta + k] = sums[slot * width + deltaCols[k]!]!;
    }
    return { signature, table, values, timeNanos };
  }
}

const TWO_32 = 4294967296;

/** Hashes the strings, locations and labels of one profile into identity lanes. */
class IdentityHasher {
  readonly #profile: Profile;
  /** Lazily computed 3 lanes per string index; `#stringDone` marks which are set. */
  readonly #stringHash: Uint32Array;
  readonly #stringDone: Uint8Array;
  /** 3 lanes per location index. */
  readonly #locationHash: Uint32Array;
  /** location id → index, dense when ids are small (the usual 1..N), else a Map. */
  readonly #denseIds: Int32Array | undefined;
  readonly #sparseIds: Map<number, number> | undefined;
  readonly #functionName = new Map<number, number>();
  /** Output of {@linkcode hashSample}, reused to avoid allocating per sample. */
  readonly out = new Uint32Array(3);

  constructor(profile: Profile) {
    this.#profile = profile;
    const strings = profile.stringTable.length;
    this.#stringHash = new Uint32Array(strings * 3);
    this.#stringDone = new Uint8Array(strings);
    const locations = profile.location;
    let maxId = 0;
    for (const l of locations) if (l.id > maxId) maxId = l.id;
    if (maxId <= locations.length * 4 + 1024) {
      this.#denseIds = new Int32Array(maxId + 1).fill(-1);
      for (let i = 0; i < locations.length; i++) this.#denseIds[locations[i]!.id] = i;
    } else {
      this.#sparseIds = new Map();
      for (let i = 0; i < locations.length; i++) this.#sparseIds.set(locations[i]!.id, i);
    }
    for (const f of profile.function) this.#functionName.set(f.id, f.name);
    this.#locationHash = new Uint32Array(locations.length * 3);
    for (let i = 0; i < locations.length; i++) this.#hashLocation(i);
  }

  #string(index: number, lane: 0 | 1 | 2, field: string): number {
    if (this.#stringDone[index] !== 1) {
      const s = stringAt(this.#profile, index, field);
      for (const l of [0, 1, 2] as const) {
        let h = SEEDS[l];
        for (let i = 0; i < s.length; i++) h = round(h, s.charCodeAt(i), C1[l], C2[l]);
        this.#stringHash[index * 3 + l] = fmix(h ^ s.length);
      }
      this.#stringDone[index] = 1;
    }
    return this.#stringHash[index * 3 + lane]!;
  }

  /**
   * A location is its address; with address 0 (non-Go producers that symbolize and drop
   * addresses) it is the list of (function name, line) of its frames, so such profiles still
   * delta correctly across scrapes even though their location ids are renumbered.
   */
  #hashLocation(i: number): void {
    const loc = this.#profile.location[i]!;
    for (const lane of [0, 1, 2] as const) {
      let h = SEEDS[lane] ^ 0x5f3759df;
      if (loc.address !== 0) {
        h = round(h, loc.address >>> 0, C1[lane], C2[lane]);
        h = round(h, Math.floor(loc.address / TWO_32) >>> 0, C1[lane], C2[lane]);
      } else {
        h = round(h, 0xfeedface, C1[lane], C2[lane]);
        for (const line of loc.line) {
          const name = this.#functionName.get(line.functionId) ?? 0;
          h = round(h, this.#string(name, lane, "function.name"), C1[lane], C2[lane]);
          h = round(h, line.line >>> 0, C1[lane], C2[lane]);
        }
      }
      this.#locationHash[i * 3 + lane] = fmix(h);
    }
  }

  #locationIndex(id: number): number {
    const i = this.#denseIds ? (this.#denseIds[id] ?? -1) : (this.#sparseIds!.get(id) ?? -1);
    if (i < 0) throw new ProfileDecodeError(`sample refers to missing location ${id}`);
    return i;
  }

  /**
   * Hashes sample `index` into `out[0..2]`: its stack in order, then its labels as an
   * order-insensitive sum (a multiset), so label order never splits an identity. The three
   * lanes are computed in one pass: this loop is the delta's hot path.
   */
  hashSample(index: number): Uint32Array {
    const sample = this.#profile.sample[index]!;
    const locationHash = this.#locationHash;
    const dense = this.#denseIds;
    let h0 = SEEDS[0], h1 = SEEDS[1], h2 = SEEDS[2];
    const ids = sample.locationId;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const i = dense ? (dense[id] ?? -1) : this.#locationIndex(id);
      if (i < 0) throw new ProfileDecodeError(`sample refers to missing location ${id}`);
      h0 = round(h0, locationHash[i * 3]!, 0xcc9e2d51, 0x1b873593);
      h1 = round(h1, locationHash[i * 3 + 1]!, 0x85ebca6b, 0xc2b2ae35);
      h2 = round(h2, locationHash[i * 3 + 2]!, 0x27d4eb2f, 0x165667b1);
    }
    const out = this.out;
    out[0] = this.#finish(h0, sample, 0);
    out[1] = this.#finish(h1, sample, 1);
    out[2] = this.#finish(h2, sample, 2);
    return out;
  }

  #finish(h: number, sample: Sample, lane: 0 | 1 | 2): number {
    const c1 = C1[lane], c2 = C2[lane];
    let labels = 0;
    for (const label of sample.label) {
      let lh = SEEDS[lane] ^ 0x2545f491;
      lh = round(lh, this.#string(label.key, lane, "label.key"), c1, c2);
      lh = round(lh, this.#string(label.str, lane, "label.str"), c1, c2);
      lh = round(lh, label.num >>> 0, c1, c2);
      lh = round(lh, Math.floor(label.num / TWO_32) >>> 0, c1, c2);
      lh = round(lh, this.#string(label.numUnit, lane, "label.num_unit"), c1, c2);
      labels = (labels + fmix(lh)) | 0;
    }
    h = round(h, sample.locationId.length, c1, c2);
    h = round(h, labels, c1, c2);
    h = round(h, sample.label.length, c1, c2);
    return fmix(h);
  }
}
