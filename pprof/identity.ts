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

/** Seeds of the three 32-bit lanes. */
export const SEEDS: readonly [number, number, number] = [0x9747b28c, 0x3c6ef372, 0xa54ff53a];
/** Per-lane multiplier constants of {@linkcode round}. */
export const C1: readonly [number, number, number] = [0xcc9e2d51, 0x85ebca6b, 0x27d4eb2f];
/** Per-lane multiplier constants of {@linkcode round}. */
export const C2: readonly [number, number, number] = [0x1b873593, 0xc2b2ae35, 0x165667b1];

/** One murmur3 mixing round of `v` into `h`. */
export function round(h: number, v: number, c1: number, c2: number): number {
  let k = Math.imul(v, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3 finalizer: a lane's unsigned 32-bit value. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Open-addressing table from a 96-bit identity to a dense slot (insertion order), with a
 * fixed capacity chosen up front. 12 bytes per entry plus an 8-byte bucket pair.
 */
export class IdentityTable {
  /** Slot per bucket, -1 when empty (public so hot loops can probe inline). */
  readonly buckets: Int32Array;
  /** `buckets.length - 1`. */
  readonly mask: number;
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly c: Uint32Array;
  size = 0;

  constructor(readonly capacity: number) {
    let buckets = 16;
    while (buckets < capacity * 2) buckets *= 2;
    this.buckets = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
    this.a = new Uint32Array(capacity);
    this.b = new Uint32Array(capacity);
    this.c = new Uint32Array(capacity);
  }

  /** The slot of identity `(a, b, c)`, or -1. */
  find(a: number, b: number, c: number): number {
    let i = a & this.mask;
    for (;;) {
      const slot = this.buckets[i]!;
      if (slot < 0) return -1;
      if (this.a[slot] === a && this.b[slot] === b && this.c[slot] === c) return slot;
      i = (i + 1) & this.mask;
    }
  }

  /** The slot of identity `(a, b, c)`, inserted when absent. Throws when full. */
  insert(a: number, b: number, c: number): number {
    let i = a & this.mask;
    for (;;) {
      const slot = this.buckets[i]!;
      if (slot < 0) break;
      if (this.a[slot] === a && this.b[slot] === b && this.c[slot] === c) return slot;
      i = (i + 1) & this.mask;
    }
    if (this.size >= this.capacity) throw new RangeError("identity table is full");
    const slot = this.size++;
    this.buckets[i] = slot;
    this.a[slot] = a;
    this.b[slot] = b;
    this.c[slot] = c;
    return slot;
  }

  /**
   * Copies the identities of `slots[0..n)` into `out` as interleaved lanes (`a, b, c` per
   * entry, 12 bytes): the compact form delta state keeps. The loop lives here so the lanes
   * never cross a call (a call would box values above 2^30).
   */
  packSlots(slots: Int32Array, n: number, out: Uint32Array): void {
    const a = this.a, b = this.b, c = this.c;
    for (let k = 0, o = 0; k < n; k++, o += 3) {
      const slot = slots[k]!;
      out[o] = a[slot]!;
      out[o + 1] = b[slot]!;
      out[o + 2] = c[slot]!;
    }
  }

  /**
   * A table holding the `count` interleaved identities of `lanes` (as written by
   * {@linkcode packSlots}), entry `i` in slot `i`. `reuse` is emptied and refilled when its
   * capacity fits (so a scratch table serves every target), else a new table is made.
   */
  static unpack(lanes: Uint32Array, count: number, reuse?: IdentityTable): IdentityTable {
    const fits = reuse !== undefined && reuse.capacity >= count &&
      reuse.capacity <= count * 4 + 4096;
    const t = fits ? reuse : new IdentityTable(count);
    if (fits) t.clear();
    const buckets = t.buckets, mask = t.mask, ta = t.a, tb = t.b, tc = t.c;
    for (let slot = 0, o = 0; slot < count; slot++, o += 3) {
      const a = lanes[o]!;
      ta[slot] = a;
      tb[slot] = lanes[o + 1]!;
      tc[slot] = lanes[o + 2]!;
      let i = a & mask;
      while (buckets[i]! >= 0) i = (i + 1) & mask;
      buckets[i] = slot;
    }
    t.size = count;
    return t;
  }

  /** For each slot of `other` (its first `other.size`), this table's slot of it or -1. */
  findAll(other: IdentityTable, out: Int32Array): void {
    const buckets = this.buckets, mask = this.mask, ta = this.a, tb = this.b, tc = this.c;
    const oa = other.a, ob = other.b, oc = other.c;
    for (let slot = 0; slot < other.size; slot++) {
      const a = oa[slot]!, b = ob[slot]!, c = oc[slot]!;
      let i = a & mask;
      let found = -1;
      for (;;) {
        const at = buckets[i]!;
        if (at < 0) break;
        if (ta[at] === a && tb[at] === b && tc[at] === c) {
          found = at;
          break;
        }
        i = (i + 1) & mask;
      }
      out[slot] = found;
    }
  }

  /** Empties the table, keeping its capacity. */
  clear(): void {
    this.buckets.fill(-1);
    this.size = 0;
  }

  /** Bytes held by the typed arrays. */
  get bytes(): number {
    return this.buckets.byteLength + this.a.byteLength + this.b.byteLength + this.c.byteLength;
  }
}
