/**
 * Sample identities for the client-side delta: a 96-bit hash of a sample's stack and labels,
 * and a compact open-addressing table from identity to a dense slot number.
 *
 * Why a hash and not a string key: building a string per sample (tens of addresses each)
 * would dominate the delta's cost and, kept as state, its memory — the very blow-up users hit
 * with Alloy. Three independent 32-bit lanes (murmur3-style, different seeds and constants)
 * make a 96-bit identity. Lane `a` picks the bucket; `b` and `c` are compared as well, so
 * entries sharing a bucket or even a 32-bit hash stay apart (a 2-level key). Two different
 * samples are merged only when all 96 bits agree: about n²/2^97, i.e. below 1e-17 for a
 * million distinct stacks.
 *
 * @module
 */

import { type Profile, ProfileDecodeError, type Sample, stringAt } from "./profile.ts";

const SEEDS: readonly [number, number, number] = [0x9747b28c, 0x3c6ef372, 0xa54ff53a];
const C1: readonly [number, number, number] = [0xcc9e2d51, 0x85ebca6b, 0x27d4eb2f];
const C2: readonly [number, number, number] = [0x1b873593, 0xc2b2ae35, 0x165667b1];

function round(h: number, v: number, c1: number, c2: number): number {
  let k = Math.imul(v, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO_32 = 4294967296;

/** Hashes the strings, locations and labels of one profile into identity lanes. */
export class IdentityHasher {
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

/**
 * Open-addressing table from a 96-bit identity to a dense slot (insertion order), with a
 * fixed capacity chosen up front. 12 bytes per entry plus an 8-byte bucket pair.
 */
export class IdentityTable {
  readonly #buckets: Int32Array;
  readonly #mask: number;
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly c: Uint32Array;
  size = 0;

  constructor(readonly capacity: number) {
    let buckets = 16;
    while (buckets < capacity * 2) buckets *= 2;
    this.#buckets = new Int32Array(buckets).fill(-1);
    this.#mask = buckets - 1;
    this.a = new Uint32Array(capacity);
    this.b = new Uint32Array(capacity);
    this.c = new Uint32Array(capacity);
  }

  /** The slot of identity `(a, b, c)`, or -1. */
  find(a: number, b: number, c: number): number {
    let i = a & this.#mask;
    for (;;) {
      const slot = this.#buckets[i]!;
      if (slot < 0) return -1;
      if (this.a[slot] === a && this.b[slot] === b && this.c[slot] === c) return slot;
      i = (i + 1) & this.#mask;
    }
  }

  /** The slot of identity `(a, b, c)`, inserted when absent. Throws when full. */
  insert(a: number, b: number, c: number): number {
    let i = a & this.#mask;
    for (;;) {
      const slot = this.#buckets[i]!;
      if (slot < 0) break;
      if (this.a[slot] === a && this.b[slot] === b && this.c[slot] === c) return slot;
      i = (i + 1) & this.#mask;
    }
    if (this.size >= this.capacity) throw new RangeError("identity table is full");
    const slot = this.size++;
    this.#buckets[i] = slot;
    this.a[slot] = a;
    this.b[slot] = b;
    this.c[slot] = c;
    return slot;
  }

  /** Bytes held by the typed arrays. */
  get bytes(): number {
    return this.#buckets.byteLength + this.a.byteLength + this.b.byteLength + this.c.byteLength;
  }
}
