/**
 * The streaming client-side delta behind {@linkcode DeltaComputer} (`delta.ts`), in the style
 * of Datadog's fastdelta: it walks the pprof wire format of one decompressed profile in passes
 * over the same buffer and never builds `Sample`, `Location` or string objects.
 *
 * 1. **Index** — one walk over the top-level fields records where each sample, location,
 *    function, mapping and string sits, plus the few numbers needed later (location id and
 *    address, function id and name index, mapping string indices, scalar fields).
 * 2. **Hash** — each sample's stack (a location's address, or its frames' function name and
 *    line when the address is 0) and labels (order-insensitive) go into the 96-bit identity of
 *    `identity.ts`; duplicates are summed into one row of a `Float64Array`.
 * 3. **Write** — the caller decides which rows to keep and their values; the output is written
 *    directly: sample types, mappings, kept locations and functions are copied as byte ranges,
 *    kept samples are their original bytes with a new packed `value` field, and strings no
 *    kept part references are written empty (indices stay valid).
 *
 * Strings are hashed as UTF-8 bytes, lazily, only when a label or an address-less location
 * needs them. All working memory is module-level scratch reused across calls (JavaScript runs
 * one `compute` at a time), so a scrape allocates little beyond the output.
 *
 * @module
 */

import { ProfileDecodeError } from "./profile.ts";
import { C1, C2, fmix, IdentityTable, round, SEEDS } from "./identity.ts";

const TWO_32 = 4294967296;

// ---------------------------------------------------------------------------------------------
// Wire reading. `P` is the cursor; `LO`/`HI` hold the halves of the last full varint read.

let P = 0;
let LO = 0;
let HI = 0;

function truncated(): ProfileDecodeError {
  return new ProfileDecodeError("invalid pprof profile: truncated or overlong field");
}

/** Reads a varint at `P` (bounded by `limit`) into `LO`/`HI`. */
function readVarint(buf: Uint8Array, limit: number): void {
  let p = P;
  if (p >= limit) throw truncated();
  let b = buf[p++]!;
  if (b < 0x80) {
    LO = b;
    HI = 0;
    P = p;
    return;
  }
  let lo = b & 0x7f;
  let hi = 0;
  let done = false;
  for (let shift = 7; shift < 28; shift += 7) {
    b = buf[p++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      done = true;
      break;
    }
  }
  if (!done) {
    b = buf[p++]!;
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (let shift = 3; shift < 32; shift += 7) {
        b = buf[p++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) {
          done = true;
          break;
        }
      }
      if (!done) throw new ProfileDecodeError("varint longer than 10 bytes");
    }
  }
  if (p > limit) throw truncated();
  P = p;
  LO = lo >>> 0;
  HI = hi >>> 0;
}

/** Unsigned varint as a number (exact below 2^53, rounded above, as `profile.ts` does). */
function uv(buf: Uint8Array, limit: number): number {
  const p = P;
  if (p + 1 < limit) {
    // Tags, lengths and ids are mostly 1 or 2 bytes.
    const b0 = buf[p]!;
    if (b0 < 0x80) {
      P = p + 1;
      return b0;
    }
    const b1 = buf[p + 1]!;
    if (b1 < 0x80) {
      P = p + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  readVarint(buf, limit);
  return HI * TWO_32 + LO;
}

/** int64 varint as a number (two's complement). */
function sv(buf: Uint8Array, limit: number): number {
  readVarint(buf, limit);
  return HI >= 0x80000000 ? (HI - TWO_32) * TWO_32 + LO : HI * TWO_32 + LO;
}

/** Length-delimited field at `P`: returns its end, `P` at its start. */
function sub(buf: Uint8Array, limit: number): number {
  const n = uv(buf, limit);
  const e = P + n;
  if (e > limit) throw truncated();
  return e;
}

function skip(buf: Uint8Array, tag: number, limit: number): void {
  if (tag >>> 3 === 0) throw new ProfileDecodeError("invalid field number 0");
  switch (tag & 7) {
    case 0:
      readVarint(buf, limit);
      return;
    case 1:
      P += 8;
      break;
    case 2:
      P = sub(buf, limit);
      return;
    case 5:
      P += 4;
      break;
    default:
      throw new ProfileDecodeError(`invalid wire type ${tag & 7} for field ${tag >>> 3}`);
  }
  if (P > limit) throw truncated();
}

// ---------------------------------------------------------------------------------------------
// Scratch: growable typed arrays shared by every computer.

function growI32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n < a.length) return a;
  const b = new Int32Array(Math.max(n + 1, a.length * 2));
  b.set(a);
  return b;
}
function growU32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  if (n < a.length) return a;
  const b = new Uint32Array(Math.max(n + 1, a.length * 2));
  b.set(a);
  return b;
}
function growF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n < a.length) return a;
  const b = new Float64Array(Math.max(n + 1, a.length * 2));
  b.set(a);
  return b;
}

/** Maps ids (uint64 as numbers) to indices; last occurrence wins, as a decoder's map would. */
class IdIndex {
  dense = new Int32Array(0);
  sparse: Map<number, number> | undefined;
  build(ids: Float64Array, n: number): void {
    let max = 0;
    for (let i = 0; i < n; i++) if (ids[i]! > max) max = ids[i]!;
    if (max <= n * 4 + 1024) {
      this.sparse = undefined;
      if (this.dense.length < max + 1) this.dense = new Int32Array(max + 1);
      this.dense.fill(-1, 0, max + 1);
      for (let i = 0; i < n; i++) this.dense[ids[i]!] = i;
      this.denseLength = max + 1;
    } else {
      this.denseLength = 0;
      this.sparse = new Map();
      for (let i = 0; i < n; i++) this.sparse.set(ids[i]!, i);
    }
  }
  denseLength = 0;
  get(id: number): number {
    if (this.sparse) return this.sparse.get(id) ?? -1;
    return id < this.denseLength ? this.dense[id]! : -1;
  }
}

/** Index of one profile (pass 1) plus per-sample results (pass 2). */
class Scan {
  buf: Uint8Array = new Uint8Array(0);
  // Strings: offset and length of each entry; lazily computed 3-lane hashes.
  nStr = 0;
  /** `max(1, nStr)`: a missing string table still has the empty string. */
  strCount = 1;
  strOff = new Int32Array(1024);
  strLen = new Int32Array(1024);
  strHash = new Uint32Array(3 * 1024);
  strDone = new Uint8Array(1024);
  // Sample types: content ranges and type/unit string indices.
  nType = 0;
  typeStart = new Int32Array(8);
  typeEnd = new Int32Array(8);
  typeType = new Float64Array(8);
  typeUnit = new Float64Array(8);
  // Samples: content ranges; after pass 2, the byte range of their one `value` field (or -1).
  nSample = 0;
  sStart = new Int32Array(1024);
  sEnd = new Int32Array(1024);
  sValStart = new Int32Array(1024);
  sValEnd = new Int32Array(1024);
  // Mappings: content ranges and their two string indices.
  nMap = 0;
  mapStart = new Int32Array(16);
  mapEnd = new Int32Array(16);
  mapFile = new Float64Array(16);
  mapBuild = new Float64Array(16);
  // Locations: content ranges, ids, addresses; lazily computed 3-lane hashes.
  nLoc = 0;
  locStart = new Int32Array(1024);
  locEnd = new Int32Array(1024);
  locId = new Float64Array(1024);
  locLo = new Uint32Array(1024);
  locHi = new Uint32Array(1024);
  locHash = new Uint32Array(3 * 1024);
  locDone = new Uint8Array(1024);
  locIndex = new IdIndex();
  // Functions: content ranges, ids and string indices.
  nFn = 0;
  fnStart = new Int32Array(1024);
  fnEnd = new Int32Array(1024);
  fnId = new Float64Array(1024);
  fnName = new Float64Array(1024);
  fnSys = new Float64Array(1024);
  fnFile = new Float64Array(1024);
  fnIndex = new IdIndex();
  // Scalars.
  dropFrames = 0;
  keepFrames = 0;
  timeNanos = 0;
  durationNanos = 0;
  periodStart = -1;
  periodEnd = -1;
  periodTypeType = 0;
  periodTypeUnit = 0;
  period = 0;
  comment: number[] = [];
  defaultSampleType = 0;
  docUrl = 0;
  // Pass 2: identities, the first sample of each, and summed values (`slot × width`).
  table = new IdentityTable(1024);
  first = new Int32Array(1024);
  sums = new Float64Array(4096);
  values = new Float64Array(16);
}

let scan = new Scan();

/** Drops scratch grown past this many samples, so one huge profile does not pin memory. */
const SCRATCH_KEEP_SAMPLES = 1 << 17;

const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Pass 1: index.

function parseValueType(buf: Uint8Array, end: number): void {
  let type = 0, unit = 0;
  while (P < end) {
    const tag = uv(buf, end);
    if (tag === 0x08) type = sv(buf, end);
    else if (tag === 0x10) unit = sv(buf, end);
    else skip(buf, tag, end);
  }
  VT_TYPE = type;
  VT_UNIT = unit;
}

/** `type` and `unit` of the last ValueType read by {@linkcode parseValueType}. */
let VT_TYPE = 0;
let VT_UNIT = 0;

function indexProfile(s: Scan, buf: Uint8Array): void {
  s.buf = buf;
  s.nStr =
    s.nType =
    s.nSample =
    s.nMap =
    s.nLoc =
    s.nFn =
      0;
  s.dropFrames =
    s.keepFrames =
    s.timeNanos =
    s.durationNanos =
      0;
  s.periodStart = s.periodEnd = -1;
  s.period = s.defaultSampleType = s.docUrl = 0;
  s.comment = [];
  const len = buf.length;
  P = 0;
  while (P < len) {
    const tag = uv(buf, len);
    switch (tag) {
      case 0x0a: {
        const e = sub(buf, len);
        const i = s.nType++;
        s.typeStart = growI32(s.typeStart, i);
        s.typeEnd = growI32(s.typeEnd, i);
        s.typeType = growF64(s.typeType, i);
        s.typeUnit = growF64(s.typeUnit, i);
        s.typeStart[i] = P;
        s.typeEnd[i] = e;
        parseValueType(buf, e);
        s.typeType[i] = VT_TYPE;
        s.typeUnit[i] = VT_UNIT;
        break;
      }
      case 0x12: {
        const e = sub(buf, len);
        const i = s.nSample++;
        if (i >= s.sStart.length) {
          s.sStart = growI32(s.sStart, i);
          s.sEnd = growI32(s.sEnd, i);
        }
        s.sStart[i] = P;
        s.sEnd[i] = e;
        P = e;
        break;
      }
      case 0x1a: {
        const e = sub(buf, len);
        const i = s.nMap++;
        s.mapStart = growI32(s.mapStart, i);
        s.mapEnd = growI32(s.mapEnd, i);
        s.mapFile = growF64(s.mapFile, i);
        s.mapBuild = growF64(s.mapBuild, i);
        s.mapStart[i] = P;
        s.mapEnd[i] = e;
        let file = 0, build = 0;
        while (P < e) {
          const t = uv(buf, e);
          if (t === 0x28) file = sv(buf, e);
          else if (t === 0x30) build = sv(buf, e);
          else skip(buf, t, e);
        }
        s.mapFile[i] = file;
        s.mapBuild[i] = build;
        break;
      }
      case 0x22: {
        const e = sub(buf, len);
        const i = s.nLoc++;
        if (i >= s.locStart.length) {
          s.locStart = growI32(s.locStart, i);
          s.locEnd = growI32(s.locEnd, i);
          s.locId = growF64(s.locId, i);
          s.locLo = growU32(s.locLo, i);
          s.locHi = growU32(s.locHi, i);
        }
        s.locStart[i] = P;
        s.locEnd[i] = e;
        let id = 0, lo = 0, hi = 0;
        while (P < e) {
          const t = buf[P]!;
          if (t === 0x08) {
            P++;
            id = uv(buf, e);
          } else if (t === 0x18) {
            P++;
            readVarint(buf, e);
            lo = LO;
            hi = HI;
          } else {
            const t2 = uv(buf, e);
            if (t2 === 0x22) {
              // A line: validated here, read again only for address-less locations.
              const le = sub(buf, e);
              while (P < le) skip(buf, uv(buf, le), le);
            } else skip(buf, t2, e);
          }
        }
        s.locId[i] = id;
        s.locLo[i] = lo;
        s.locHi[i] = hi;
        break;
      }
      case 0x2a: {
        const e = sub(buf, len);
        const i = s.nFn++;
        if (i >= s.fnStart.length) {
          s.fnStart = growI32(s.fnStart, i);
          s.fnEnd = growI32(s.fnEnd, i);
          s.fnId = growF64(s.fnId, i);
          s.fnName = growF64(s.fnName, i);
          s.fnSys = growF64(s.fnSys, i);
          s.fnFile = growF64(s.fnFile, i);
        }
        s.fnStart[i] = P;
        s.fnEnd[i] = e;
        let id = 0, name = 0, sys = 0, file = 0;
        while (P < e) {
          const t = uv(buf, e);
          if (t === 0x08) id = uv(buf, e);
          else if (t === 0x10) name = sv(buf, e);
          else if (t === 0x18) sys = sv(buf, e);
          else if (t === 0x20) file = sv(buf, e);
          else skip(buf, t, e);
        }
        s.fnId[i] = id;
        s.fnName[i] = name;
        s.fnSys[i] = sys;
        s.fnFile[i] = file;
        break;
      }
      case 0x32: {
        const e = sub(buf, len);
        const i = s.nStr++;
        if (i >= s.strOff.length) {
          s.strOff = growI32(s.strOff, i);
          s.strLen = growI32(s.strLen, i);
        }
        s.strOff[i] = P;
        s.strLen[i] = e - P;
        P = e;
        break;
      }
      case 0x38:
        s.dropFrames = sv(buf, len);
        break;
      case 0x40:
        s.keepFrames = sv(buf, len);
        break;
      case 0x48:
        s.timeNanos = sv(buf, len);
        break;
      case 0x50:
        s.durationNanos = sv(buf, len);
        break;
      case 0x5a: {
        const e = sub(buf, len);
        s.periodStart = P;
        s.periodEnd = e;
        parseValueType(buf, e);
        s.periodTypeType = VT_TYPE;
        s.periodTypeUnit = VT_UNIT;
        break;
      }
      case 0x60:
        s.period = sv(buf, len);
        break;
      case 0x68:
        s.comment.push(sv(buf, len));
        break;
      case 0x6a: {
        const e = sub(buf, len);
        while (P < e) s.comment.push(sv(buf, e));
        break;
      }
      case 0x70:
        s.defaultSampleType = sv(buf, len);
        break;
      case 0x78:
        s.docUrl = sv(buf, len);
        break;
      default:
        if (tag >>> 3 <= 15 && tag >>> 3 > 0) {
          throw new ProfileDecodeError(`Profile field ${tag >>> 3} has wrong wire type ${tag & 7}`);
        }
        skip(buf, tag, len);
    }
  }
  if (s.nStr > 0 && s.strLen[0] !== 0) {
    throw new ProfileDecodeError("string_table[0] must be the empty string");
  }
  const nStr = Math.max(1, s.nStr);
  s.strCount = nStr;
  if (s.strDone.length < nStr) {
    s.strDone = new Uint8Array(nStr * 2);
    s.strHash = new Uint32Array(nStr * 6);
  } else s.strDone.fill(0, 0, nStr);
  if (s.locDone.length < s.nLoc) {
    s.locDone = new Uint8Array(s.nLoc * 2);
    s.locHash = new Uint32Array(s.nLoc * 6);
  } else s.locDone.fill(0, 0, s.nLoc);
  s.locIndex.build(s.locId, s.nLoc);
  s.fnIndex.build(s.fnId, s.nFn);
}

/** The text of string `index` (only for the few sample-type strings). */
export function stringOf(s: Scan, index: number, field: string): string {
  checkString(s, index, field);
  if (s.nStr === 0) return "";
  const off = s.strOff[index]!;
  return decoder.decode(s.buf.subarray(off, off + s.strLen[index]!));
}

function checkString(s: Scan, index: number, field: string): void {
  const n = Math.max(1, s.nStr);
  if (!(index >= 0 && index < n)) {
    throw new ProfileDecodeError(
      `${field} refers to string ${index}, but string_table has ${n} entries`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: hash and group.

/** Hashes string `index` (UTF-8 bytes, 4 at a time) into `strHash[index*3..+2]`. */
function hashString(s: Scan, index: number, field: string): void {
  checkString(s, index, field);
  const buf = s.buf;
  const off = s.nStr === 0 ? 0 : s.strOff[index]!;
  const n = s.nStr === 0 ? 0 : s.strLen[index]!;
  let h0 = SEEDS[0], h1 = SEEDS[1], h2 = SEEDS[2];
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = off + i;
    const w = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
    h0 = round(h0, w, 0xcc9e2d51, 0x1b873593);
    h1 = round(h1, w, 0x85ebca6b, 0xc2b2ae35);
    h2 = round(h2, w, 0x27d4eb2f, 0x165667b1);
  }
  for (; i < n; i++) {
    const w = buf[off + i]!;
    h0 = round(h0, w, 0xcc9e2d51, 0x1b873593);
    h1 = round(h1, w, 0x85ebca6b, 0xc2b2ae35);
    h2 = round(h2, w, 0x27d4eb2f, 0x165667b1);
  }
  s.strHash[index * 3] = fmix(h0 ^ n);
  s.strHash[index * 3 + 1] = fmix(h1 ^ n);
  s.strHash[index * 3 + 2] = fmix(h2 ^ n);
  s.strDone[index] = 1;
}

function strLane(s: Scan, index: number, lane: number, field: string): number {
  if (!(index >= 0 && index < s.strCount && s.strDone[index] === 1)) {
    hashString(s, index, field);
  }
  return s.strHash[index * 3 + lane]!;
}

/**
 * A location is its address; with address 0 (producers that symbolize and drop addresses) it
 * is the list of (function name, line) of its frames, so such profiles still delta correctly
 * even though their location ids are renumbered between scrapes.
 */
function hashLocation(s: Scan, i: number): void {
  const lo = s.locLo[i]!, hi = s.locHi[i]!;
  for (let lane = 0; lane < 3; lane++) {
    const c1 = C1[lane]!, c2 = C2[lane]!;
    let h = SEEDS[lane]! ^ 0x5f3759df;
    if (lo !== 0 || hi !== 0) {
      h = round(h, lo, c1, c2);
      h = round(h, hi, c1, c2);
    } else {
      h = round(h, 0xfeedface, c1, c2);
      const buf = s.buf;
      const e = s.locEnd[i]!;
      P = s.locStart[i]!;
      while (P < e) {
        const t = uv(buf, e);
        if (t !== 0x22) {
          skip(buf, t, e);
          continue;
        }
        const le = sub(buf, e);
        let fid = 0, line = 0;
        while (P < le) {
          const lt = uv(buf, le);
          if (lt === 0x08) fid = uv(buf, le);
          else if (lt === 0x10) {
            readVarint(buf, le);
            line = LO;
          } else skip(buf, lt, le);
        }
        const f = s.fnIndex.get(fid);
        const name = f < 0 ? 0 : s.fnName[f]!;
        h = round(h, strLane(s, name, lane, "function.name"), c1, c2);
        h = round(h, line, c1, c2);
      }
    }
    // Stored pre-mixed: the first half of `round(h, fmix(h), c1, c2)`, which only depends on
    // the location, so the per-frame step in groupSamples is three operations per lane.
    let k = Math.imul(fmix(h), c1);
    k = (k << 15) | (k >>> 17);
    s.locHash[i * 3 + lane] = Math.imul(k, c2);
  }
  s.locDone[i] = 1;
}

function missingLocation(id: number): ProfileDecodeError {
  return new ProfileDecodeError(`sample refers to missing location ${id}`);
}

/** Lanes of the last label hashed by {@linkcode hashLabel} (a typed array: no boxing). */
const LABEL = new Int32Array(3);

/**
 * Labels already hashed in this profile, by content: most samples of a heap profile carry one of
 * a few `bytes` labels, so a label's bytes are usually seen before. Direct-mapped on a hash of
 * the (short) content; a hit compares the bytes, so a collision only costs a recomputation.
 * Valid for one buffer: emptied by {@linkcode groupSamples}.
 */
const LABEL_CACHE_SLOTS = 256;
const labelCacheStart = new Int32Array(LABEL_CACHE_SLOTS);
const labelCacheLength = new Int32Array(LABEL_CACHE_SLOTS).fill(-1);
const labelCacheLanes = new Int32Array(LABEL_CACHE_SLOTS * 3);
/** Labels longer than this are not cached (their bytes would cost more to compare). */
const LABEL_CACHE_MAX_BYTES = 24;

/** Hashes the label whose content is `[start, end)` into `LABEL`. */
function hashLabel(s: Scan, buf: Uint8Array, start: number, end: number): void {
  const length = end - start;
  let slot = -1;
  if (length <= LABEL_CACHE_MAX_BYTES) {
    let k = length;
    for (let i = start; i < end; i++) k = Math.imul(k ^ buf[i]!, 0x01000193);
    slot = (k ^ (k >>> 15)) & (LABEL_CACHE_SLOTS - 1);
    if (labelCacheLength[slot] === length) {
      const at = labelCacheStart[slot]!;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (buf[at + i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        LABEL[0] = labelCacheLanes[slot * 3]!;
        LABEL[1] = labelCacheLanes[slot * 3 + 1]!;
        LABEL[2] = labelCacheLanes[slot * 3 + 2]!;
        return;
      }
    }
  }
  hashLabelContent(s, buf, start, end);
  if (slot >= 0) {
    labelCacheStart[slot] = start;
    labelCacheLength[slot] = length;
    labelCacheLanes[slot * 3] = LABEL[0]!;
    labelCacheLanes[slot * 3 + 1] = LABEL[1]!;
    labelCacheLanes[slot * 3 + 2] = LABEL[2]!;
  }
}

function hashLabelContent(s: Scan, buf: Uint8Array, start: number, end: number): void {
  P = start;
  let key = 0, str = 0, numLo = 0, numHi = 0, unit = 0;
  while (P < end) {
    const t = uv(buf, end);
    if (t === 0x08) key = sv(buf, end);
    else if (t === 0x10) str = sv(buf, end);
    else if (t === 0x18) {
      readVarint(buf, end);
      numLo = LO;
      numHi = HI;
    } else if (t === 0x20) unit = sv(buf, end);
    else skip(buf, t, end);
  }
  const done = s.strDone, count = s.strCount;
  if (!(key >= 0 && key < count && done[key] === 1)) hashString(s, key, "label.key");
  if (!(str >= 0 && str < count && done[str] === 1)) hashString(s, str, "label.str");
  if (!(unit >= 0 && unit < count && done[unit] === 1)) hashString(s, unit, "label.num_unit");
  const sh = s.strHash;
  for (let lane = 0; lane < 3; lane++) {
    const c1 = C1[lane]!, c2 = C2[lane]!;
    let lh = SEEDS[lane]! ^ 0x2545f491;
    lh = round(lh, sh[key * 3 + lane]!, c1, c2);
    lh = round(lh, sh[str * 3 + lane]!, c1, c2);
    lh = round(lh, numLo, c1, c2);
    lh = round(lh, numHi, c1, c2);
    lh = round(lh, sh[unit * 3 + lane]!, c1, c2);
    LABEL[lane] = fmix(lh);
  }
}

/**
 * Hashes every sample into `s.table` and sums its values into `s.sums` (`slot × width`);
 * `s.first[slot]` is the first sample of each identity. Throws on malformed samples.
 *
 * The hot loop of the delta: it keeps the cursor in a local (`p`; the module-level `P` only
 * for the rare slow paths), reads 1- and 2-byte location ids and short values inline, and
 * mixes each frame's pre-mixed location hash into the three lanes inline.
 */
function groupSamples(s: Scan, width: number): void {
  const n = s.nSample;
  labelCacheLength.fill(-1);
  if (s.table.capacity < n) s.table = new IdentityTable(Math.max(n, s.table.capacity * 2));
  else s.table.clear();
  const table = s.table;
  const buckets = table.buckets, mask = table.mask, ta = table.a, tb = table.b, tc = table.c;
  if (s.first.length < n) s.first = new Int32Array(Math.max(n, s.first.length * 2));
  if (s.sums.length < n * width) s.sums = new Float64Array(Math.max(n * width, s.sums.length * 2));
  if (s.sValStart.length < n) {
    s.sValStart = new Int32Array(s.sStart.length);
    s.sValEnd = new Int32Array(s.sStart.length);
  }
  if (s.values.length < width + 1) s.values = new Float64Array(width + 1);
  const buf = s.buf, sStart = s.sStart, sEnd = s.sEnd, sValStart = s.sValStart;
  const sValEnd = s.sValEnd, first = s.first, sums = s.sums, values = s.values;
  const locIndex = s.locIndex, locDone = s.locDone, locHash = s.locHash;
  const sparse = locIndex.sparse !== undefined;
  const dense = locIndex.dense;
  const denseLength = sparse ? 0 : locIndex.denseLength;
  for (let si = 0; si < n; si++) {
    const e = sEnd[si]!;
    let p = sStart[si]!;
    let h0 = 0x9747b28c | 0, h1 = 0x3c6ef372 | 0, h2 = 0xa54ff53a | 0;
    let l0 = 0, l1 = 0, l2 = 0;
    let nLoc = 0, nVal = 0, nLab = 0;
    let valStart = -1, valEnd = -1;
    while (p < e) {
      const tag = buf[p]!;
      if (tag === 0x0a || tag === 0x08) {
        let pe = e;
        p++;
        if (tag === 0x0a) {
          let len = buf[p]!;
          if (len < 0x80) p++;
          else {
            P = p;
            len = uv(buf, e);
            p = P;
          }
          pe = p + len;
          if (pe > e) throw truncated();
        } else if (p >= e) throw truncated();
        while (p < pe) {
          let id = buf[p]!;
          if (id < 0x80) p++;
          else {
            const b1 = buf[p + 1]!;
            if (b1 < 0x80 && p + 2 <= pe) {
              id = (id & 0x7f) | (b1 << 7);
              p += 2;
            } else {
              P = p;
              id = uv(buf, pe);
              p = P;
            }
          }
          const i = sparse ? locIndex.get(id) : (id < denseLength ? dense[id]! : -1);
          if (i < 0) throw missingLocation(id);
          if (locDone[i] !== 1) hashLocation(s, i);
          const k = i * 3;
          h0 ^= locHash[k]!;
          h0 = (h0 << 13) | (h0 >>> 19);
          h0 = (Math.imul(h0, 5) + 0xe6546b64) | 0;
          h1 ^= locHash[k + 1]!;
          h1 = (h1 << 13) | (h1 >>> 19);
          h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
          h2 ^= locHash[k + 2]!;
          h2 = (h2 << 13) | (h2 >>> 19);
          h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
          nLoc++;
          if (tag === 0x08) break;
        }
      } else if (tag === 0x12 || tag === 0x10) {
        valStart = valStart === -1 ? p : -2;
        let pe = e;
        p++;
        if (tag === 0x12) {
          let len = buf[p]!;
          if (len < 0x80) p++;
          else {
            P = p;
            len = uv(buf, e);
            p = P;
          }
          pe = p + len;
          if (pe > e) throw truncated();
        } else if (p >= e) throw truncated();
        while (p < pe) {
          const b0 = buf[p]!;
          let v: number;
          if (b0 < 0x80) {
            v = b0;
            p++;
          } else {
            // Up to 7 bytes (49 bits) in a double, inline: a module-level varint reader
            // would box its halves; longer ones (negative int64s) take the slow path.
            v = b0 & 0x7f;
            let mul = 128;
            let q = p + 1;
            let b = 0x80;
            while (q < pe && q < p + 7) {
              b = buf[q++]!;
              v += (b & 0x7f) * mul;
              mul *= 128;
              if (b < 0x80) break;
            }
            if (b < 0x80) p = q;
            else {
              P = p;
              v = sv(buf, pe);
              p = P;
            }
          }
          if (nVal < width) values[nVal] = v;
          nVal++;
          if (tag === 0x10) break;
        }
        valEnd = p;
      } else if (tag === 0x1a) {
        P = p + 1;
        const le = sub(buf, e);
        hashLabel(s, buf, P, le);
        p = le;
        l0 = (l0 + LABEL[0]!) | 0;
        l1 = (l1 + LABEL[1]!) | 0;
        l2 = (l2 + LABEL[2]!) | 0;
        nLab++;
      } else {
        P = p;
        skip(buf, uv(buf, e), e);
        p = P;
      }
    }
    if (nVal !== width) {
      throw new ProfileDecodeError(`sample ${si} has ${nVal} values, expected ${width}`);
    }
    sValStart[si] = valStart;
    sValEnd[si] = valEnd;
    // round(h, nLoc), round(h, labels), round(h, nLab), fmix, per lane — written out: this
    // function is past V8's inlining budget, and a call returning a lane would box it.
    let k = 0;
    k = Math.imul(nLoc, 0xcc9e2d51), k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h0 ^= k, h0 = (Math.imul((h0 << 13) | (h0 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(l0, 0xcc9e2d51), k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h0 ^= k, h0 = (Math.imul((h0 << 13) | (h0 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(nLab, 0xcc9e2d51), k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h0 ^= k, h0 = (Math.imul((h0 << 13) | (h0 >>> 19), 5) + 0xe6546b64) | 0;
    h0 ^= h0 >>> 16, h0 = Math.imul(h0, 0x85ebca6b), h0 ^= h0 >>> 13;
    h0 = Math.imul(h0, 0xc2b2ae35), h0 ^= h0 >>> 16;
    k = Math.imul(nLoc, 0x85ebca6b), k = Math.imul((k << 15) | (k >>> 17), 0xc2b2ae35);
    h1 ^= k, h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(l1, 0x85ebca6b), k = Math.imul((k << 15) | (k >>> 17), 0xc2b2ae35);
    h1 ^= k, h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(nLab, 0x85ebca6b), k = Math.imul((k << 15) | (k >>> 17), 0xc2b2ae35);
    h1 ^= k, h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    h1 ^= h1 >>> 16, h1 = Math.imul(h1, 0x85ebca6b), h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, 0xc2b2ae35), h1 ^= h1 >>> 16;
    k = Math.imul(nLoc, 0x27d4eb2f), k = Math.imul((k << 15) | (k >>> 17), 0x165667b1);
    h2 ^= k, h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(l2, 0x27d4eb2f), k = Math.imul((k << 15) | (k >>> 17), 0x165667b1);
    h2 ^= k, h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0;
    k = Math.imul(nLab, 0x27d4eb2f), k = Math.imul((k << 15) | (k >>> 17), 0x165667b1);
    h2 ^= k, h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0;
    h2 ^= h2 >>> 16, h2 = Math.imul(h2, 0x85ebca6b), h2 ^= h2 >>> 13;
    h2 = Math.imul(h2, 0xc2b2ae35), h2 ^= h2 >>> 16;
    // table.insert, inline: passing the lanes to a call would box them.
    const a = h0 >>> 0, b = h1 >>> 0, c = h2 >>> 0;
    let bucket = a & mask;
    let slot = -1;
    for (;;) {
      const at = buckets[bucket]!;
      if (at < 0) break;
      if (ta[at] === a && tb[at] === b && tc[at] === c) {
        slot = at;
        break;
      }
      bucket = (bucket + 1) & mask;
    }
    const isNew = slot < 0;
    if (isNew) {
      slot = table.size++;
      buckets[bucket] = slot;
      ta[slot] = a;
      tb[slot] = b;
      tc[slot] = c;
    }
    const base = slot * width;
    if (isNew) {
      first[slot] = si;
      for (let j = 0; j < width; j++) sums[base + j] = values[j]!;
    } else {
      for (let j = 0; j < width; j++) sums[base + j]! += values[j]!;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 3: write.

let out = new Uint8Array(1 << 16);
let O = 0;

function ensure(n: number): void {
  if (O + n <= out.length) return;
  const next = new Uint8Array(Math.max(out.length * 2, O + n + 1024));
  next.set(out.subarray(0, O));
  out = next;
}

/** Writes a varint of an unsigned 32-bit value. */
function putU32(v: number): void {
  while (v >= 0x80) {
    out[O++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[O++] = v;
}

/** Writes `v` as an int64 varint, as protobufjs does for a number (10 bytes when negative). */
function putI64(v: number): void {
  if (v >= 0 && v < TWO_32) {
    putU32(v);
    return;
  }
  const neg = v < 0;
  if (neg) v = -v;
  let lo = v >>> 0;
  let hi = ((v - lo) / TWO_32) >>> 0;
  if (neg) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      if (++hi > 0xffffffff) hi = 0;
    }
  }
  while (hi > 0 || lo > 0x7f) {
    out[O++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out[O++] = lo;
}

function i64Len(v: number): number {
  if (v >= 0 && v < 0x80) return 1;
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function u32Len(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function copy(tag: number, start: number, end: number): void {
  const n = end - start;
  ensure(n + 11);
  out[O++] = tag;
  putU32(n);
  out.set(scan.buf.subarray(start, end), O);
  O += n;
}

function putScalar(tag: number, v: number): void {
  if (v === 0) return;
  ensure(12);
  out[O++] = tag;
  putI64(v);
}

// ---------------------------------------------------------------------------------------------
// The entry points DeltaComputer uses.

/** What {@linkcode scanProfile} found: the grouped identities and their summed values. */
export interface Scanned {
  /** `type/unit` of each value type. */
  readonly types: string[];
  /** Distinct identities, in first-seen order; `sums` holds `slot × width` values. */
  readonly table: IdentityTable;
  readonly sums: Float64Array;
  readonly timeNanos: number;
}

/**
 * Passes 1 and 2 over decompressed pprof `buf`: the result (scratch, valid until the next
 * call) holds every identity and its summed values. Throws `ProfileDecodeError` on bad input.
 */
export function scanProfile(buf: Uint8Array): Scanned {
  if (scan.nSample > SCRATCH_KEEP_SAMPLES || scan.buf.length > 64 << 20) scan = new Scan();
  const s = scan;
  indexProfile(s, buf);
  const types: string[] = [];
  for (let i = 0; i < s.nType; i++) {
    types.push(
      `${stringOf(s, s.typeType[i]!, "sample_type.type")}/${
        stringOf(s, s.typeUnit[i]!, "sample_type.unit")
      }`,
    );
  }
  groupSamples(s, types.length);
  return { types, table: s.table, sums: s.sums, timeNanos: s.timeNanos };
}

/** Reused mark arrays of {@linkcode writeDelta} (strings, locations, functions). */
const markScratch = [new Uint8Array(1024), new Uint8Array(1024), new Uint8Array(1024)];

/** Mark array `which`, zeroed, exactly `n` long (a view: bounds checks stay as before). */
function marks(which: number, n: number): Uint8Array {
  let a = markScratch[which]!;
  if (a.length < n) a = markScratch[which] = new Uint8Array(Math.max(n, a.length * 2));
  else a.fill(0, 0, n);
  return a.subarray(0, n);
}

function markString(used: Uint8Array, i: number): void {
  if (i > 0 && i < used.length) used[i] = 1;
}

/**
 * Pass 3, after {@linkcode scanProfile}: writes the profile with only the samples of `keep`
 * (slots, in order) carrying `values` (`slot × width`), time and duration set, unreferenced
 * locations and functions dropped and unreferenced strings blanked. Returns a view of shared
 * scratch, valid until the next call.
 */
export function writeDelta(
  keep: Int32Array,
  nKeep: number,
  values: Float64Array,
  width: number,
  timeNanos: number,
  durationNanos: number,
): Uint8Array {
  const s = scan;
  const buf = s.buf;
  const nStr = Math.max(1, s.nStr);
  const usedStr = marks(0, nStr);
  const usedLoc = marks(1, s.nLoc);
  const usedFn = marks(2, s.nFn);
  const locIndex = s.locIndex;
  const dense = locIndex.sparse ? undefined : locIndex.dense;
  // Mark what kept samples reference.
  for (let k = 0; k < nKeep; k++) {
    const si = s.first[keep[k]!]!;
    const e = s.sEnd[si]!;
    P = s.sStart[si]!;
    while (P < e) {
      const tag = uv(buf, e);
      if (tag === 0x0a || tag === 0x08) {
        if (tag === 0x08) usedLoc[s.locIndex.get(uv(buf, e))] = 1;
        else {
          const pe = sub(buf, e);
          let p = P;
          while (p < pe) {
            // Validated in pass 2: 1- and 2-byte ids inline.
            let id = buf[p]!;
            if (id < 0x80) p++;
            else if (buf[p + 1]! < 0x80) {
              id = (id & 0x7f) | (buf[p + 1]! << 7);
              p += 2;
            } else {
              P = p;
              id = uv(buf, pe);
              p = P;
            }
            usedLoc[dense !== undefined ? dense[id]! : locIndex.get(id)] = 1;
          }
          P = p;
        }
      } else if (tag === 0x1a) {
        const le = sub(buf, e);
        while (P < le) {
          const t = uv(buf, le);
          if (t === 0x08 || t === 0x10 || t === 0x20) markString(usedStr, sv(buf, le));
          else skip(buf, t, le);
        }
      } else skip(buf, tag, e);
    }
  }
  // A kept location keeps every location with its id, and the functions of its lines.
  for (let i = 0; i < s.nLoc; i++) {
    if (usedLoc[s.locIndex.get(s.locId[i]!)] !== 1) continue;
    usedLoc[i] = 1;
    const e = s.locEnd[i]!;
    P = s.locStart[i]!;
    while (P < e) {
      const t = uv(buf, e);
      if (t !== 0x22) {
        skip(buf, t, e);
        continue;
      }
      const le = sub(buf, e);
      while (P < le) {
        const lt = uv(buf, le);
        if (lt === 0x08) {
          const f = s.fnIndex.get(uv(buf, le));
          if (f >= 0) usedFn[f] = 1;
        } else skip(buf, lt, le);
      }
    }
  }
  for (let i = 0; i < s.nFn; i++) {
    if (usedFn[s.fnIndex.get(s.fnId[i]!)] !== 1) continue;
    usedFn[i] = 1;
    markString(usedStr, s.fnName[i]!);
    markString(usedStr, s.fnSys[i]!);
    markString(usedStr, s.fnFile[i]!);
  }
  for (let i = 0; i < s.nType; i++) {
    markString(usedStr, s.typeType[i]!);
    markString(usedStr, s.typeUnit[i]!);
  }
  if (s.periodStart >= 0) {
    markString(usedStr, s.periodTypeType);
    markString(usedStr, s.periodTypeUnit);
  }
  for (let i = 0; i < s.nMap; i++) {
    markString(usedStr, s.mapFile[i]!);
    markString(usedStr, s.mapBuild[i]!);
  }
  for (const c of s.comment) markString(usedStr, c);
  markString(usedStr, s.dropFrames);
  markString(usedStr, s.keepFrames);
  markString(usedStr, s.defaultSampleType);
  markString(usedStr, s.docUrl);

  O = 0;
  ensure(buf.length + 64);
  for (let i = 0; i < s.nType; i++) copy(0x0a, s.typeStart[i]!, s.typeEnd[i]!);
  for (let k = 0; k < nKeep; k++) {
    const slot = keep[k]!;
    const si = s.first[slot]!;
    const start = s.sStart[si]!, end = s.sEnd[si]!;
    let packed = 0;
    for (let j = 0; j < width; j++) packed += i64Len(values[slot * width + j]!);
    const valField = packed === 0 ? 0 : 1 + u32Len(packed) + packed;
    const vs = s.sValStart[si]!, ve = s.sValEnd[si]!;
    ensure(end - start + valField + 11);
    out[O++] = 0x12;
    if (vs >= 0 || vs === -1) {
      // One value field (Go's layout) or none: copy around it.
      const a = vs === -1 ? end : vs, b = vs === -1 ? end : ve;
      putU32(end - start - (b - a) + valField);
      out.set(buf.subarray(start, a), O);
      O += a - start;
      writeValues(values, slot * width, width, packed);
      out.set(buf.subarray(b, end), O);
      O += end - b;
    } else {
      // Several value fields: copy every other field, then the values packed.
      let other = 0;
      P = start;
      while (P < end) {
        const at = P;
        const tag = uv(buf, end);
        skip(buf, tag, end);
        if (tag >>> 3 !== 2) other += P - at;
      }
      putU32(other + valField);
      P = start;
      while (P < end) {
        const at = P;
        const tag = uv(buf, end);
        skip(buf, tag, end);
        if (tag >>> 3 !== 2) {
          out.set(buf.subarray(at, P), O);
          O += P - at;
        }
      }
      writeValues(values, slot * width, width, packed);
    }
  }
  for (let i = 0; i < s.nMap; i++) copy(0x1a, s.mapStart[i]!, s.mapEnd[i]!);
  for (let i = 0; i < s.nLoc; i++) if (usedLoc[i] === 1) copy(0x22, s.locStart[i]!, s.locEnd[i]!);
  for (let i = 0; i < s.nFn; i++) if (usedFn[i] === 1) copy(0x2a, s.fnStart[i]!, s.fnEnd[i]!);
  if (s.nStr === 0) {
    ensure(2);
    out[O++] = 0x32;
    out[O++] = 0;
  }
  for (let i = 0; i < s.nStr; i++) {
    if (usedStr[i] === 1) copy(0x32, s.strOff[i]!, s.strOff[i]! + s.strLen[i]!);
    else {
      ensure(2);
      out[O++] = 0x32;
      out[O++] = 0;
    }
  }
  putScalar(0x38, s.dropFrames);
  putScalar(0x40, s.keepFrames);
  putScalar(0x48, timeNanos);
  putScalar(0x50, durationNanos);
  if (s.periodStart >= 0) copy(0x5a, s.periodStart, s.periodEnd);
  putScalar(0x60, s.period);
  if (s.comment.length > 0) {
    let n = 0;
    for (const c of s.comment) n += i64Len(c);
    ensure(n + 6);
    out[O++] = 0x6a;
    putU32(n);
    for (const c of s.comment) putI64(c);
  }
  putScalar(0x70, s.defaultSampleType);
  putScalar(0x78, s.docUrl);
  return out.subarray(0, O);
}

function writeValues(values: Float64Array, base: number, width: number, packed: number): void {
  if (packed === 0) return;
  out[O++] = 0x12;
  putU32(packed);
  for (let j = 0; j < width; j++) putI64(values[base + j]!);
}

/** The input's `duration_nanos` (for callers that keep it). */
export function scannedDurationNanos(): number {
  return scan.durationNanos;
}

/** Lets go of the last input (scratch arrays stay for the next profile). */
export function releaseScan(): void {
  scan.buf = new Uint8Array(0);
}
