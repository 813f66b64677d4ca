/**
 * A hand-written codec for the pprof `Profile` message (google/pprof `profile.proto`), built on
 * `protobufjs/minimal`'s Reader and Writer without parsing any `.proto` at runtime.
 *
 * Numbers: every int64/uint64 field is a JS `number`. Values up to 2^53 are exact; larger
 * magnitudes (rare in pprof: sample values and Go addresses stay far below) are rounded to the
 * nearest double instead of throwing, so a profile always decodes. Negative int64s (10-byte
 * two's-complement varints) decode to negative numbers. Decoding accepts packed and unpacked
 * encodings of every repeated scalar; encoding writes packed, as Go does. Unknown fields are
 * skipped. Fields left at their zero value are omitted on encode (proto3 rules).
 *
 * @example
 * ```ts
 * import { decodeProfile, emptyProfile, encodeProfile } from "./profile.ts";
 * const profile = emptyProfile();
 * profile.stringTable.push("alloc_space", "bytes");
 * profile.sampleType.push({ type: 1, unit: 2 });
 * profile.sample.push({ locationId: [], value: [42], label: [] });
 * decodeProfile(encodeProfile(profile)).sample[0]!.value; // [42]
 * ```
 * @module
 */

import protobuf from "protobufjs/minimal";

/** `ValueType`: string-table indices of a value's type and unit. */
export interface ValueType {
  type: number;
  unit: number;
}

/** `Label` of a sample: string (`str`) or numeric (`num`, `numUnit`) value. */
export interface Label {
  key: number;
  str: number;
  num: number;
  numUnit: number;
}

/** `Sample`: a stack (leaf first) and one value per sample type. */
export interface Sample {
  locationId: number[];
  value: number[];
  label: Label[];
}

/** `Mapping`: a mapped binary. */
export interface Mapping {
  id: number;
  memoryStart: number;
  memoryLimit: number;
  fileOffset: number;
  filename: number;
  buildId: number;
  hasFunctions: boolean;
  hasFilenames: boolean;
  hasLineNumbers: boolean;
  hasInlineFrames: boolean;
}

/** `Line`: one (possibly inlined) frame of a location. */
export interface Line {
  functionId: number;
  line: number;
  column: number;
}

/** `Location`: an address and its frames. */
export interface Location {
  id: number;
  mappingId: number;
  address: number;
  line: Line[];
  isFolded: boolean;
}

/** `Function`. */
export interface PprofFunction {
  id: number;
  name: number;
  systemName: number;
  filename: number;
  startLine: number;
}

/** The pprof `Profile` message. String fields are indices into `stringTable`. */
export interface Profile {
  sampleType: ValueType[];
  sample: Sample[];
  mapping: Mapping[];
  location: Location[];
  function: PprofFunction[];
  stringTable: string[];
  dropFrames: number;
  keepFrames: number;
  timeNanos: number;
  durationNanos: number;
  periodType: ValueType | undefined;
  period: number;
  comment: number[];
  defaultSampleType: number;
  docUrl: number;
}

/** A profile with no content (string table holds the mandatory `""`). */
export function emptyProfile(): Profile {
  return {
    sampleType: [],
    sample: [],
    mapping: [],
    location: [],
    function: [],
    stringTable: [""],
    dropFrames: 0,
    keepFrames: 0,
    timeNanos: 0,
    durationNanos: 0,
    periodType: undefined,
    period: 0,
    comment: [],
    defaultSampleType: 0,
    docUrl: 0,
  };
}

/** Thrown for bytes that are not a valid pprof `Profile`. */
export class ProfileDecodeError extends Error {
  override readonly name = "ProfileDecodeError";
}

type Reader = protobuf.Reader;

const TWO_32 = 4294967296;

/**
 * Reads a varint as two 32-bit halves and returns it as a number; `signed` reads int64
 * two's complement. Works on the Reader's buffer directly: protobufjs would otherwise
 * allocate a LongBits (or a Long) per value, which dominates decoding of packed values.
 */
function varint(r: Reader, signed: boolean): number {
  const buf = r.buf;
  let pos = r.pos;
  let b = buf[pos++]!;
  if (b < 0x80) {
    r.pos = pos;
    return b;
  }
  let lo = b & 0x7f;
  let hi = 0;
  let done = false;
  for (let shift = 7; shift < 28; shift += 7) {
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      done = true;
      break;
    }
  }
  if (!done) {
    b = buf[pos++]!;
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (let shift = 3; shift < 32; shift += 7) {
        b = buf[pos++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) {
          done = true;
          break;
        }
      }
      if (!done) throw new ProfileDecodeError("varint longer than 10 bytes");
    }
  }
  if (pos > r.len) throw new ProfileDecodeError("truncated varint");
  r.pos = pos;
  lo >>>= 0;
  hi >>>= 0;
  if (signed && hi >= 0x80000000) return (hi - TWO_32) * TWO_32 + lo;
  return hi * TWO_32 + lo;
}

function skip(r: Reader, tag: number): void {
  const wireType = tag & 7;
  if (tag >>> 3 === 0) throw new ProfileDecodeError("invalid field number 0");
  if (wireType === 3 || wireType === 4 || wireType > 5) {
    throw new ProfileDecodeError(`invalid wire type ${wireType} for field ${tag >>> 3}`);
  }
  r.skipType(wireType);
}

/** Length-delimited sub-message: returns its end offset. */
function sub(r: Reader, what: string): number {
  const length = r.uint32();
  const end = r.pos + length;
  if (end > r.len) throw new ProfileDecodeError(`${what} length exceeds the message`);
  return end;
}

function done(r: Reader, end: number, what: string): void {
  if (r.pos !== end) throw new ProfileDecodeError(`${what} overruns its length`);
}

/** Appends a repeated scalar field, packed (wire type 2) or one value (wire type 0). */
function repeated(r: Reader, tag: number, out: number[], signed: boolean): void {
  if ((tag & 7) === 2) {
    const end = sub(r, "packed field");
    const buf = r.buf;
    while (r.pos < end) {
      // Fast path for 1- and 2-byte varints (location ids, small values): most of a profile.
      const b0 = buf[r.pos]!;
      if (b0 < 0x80) {
        out.push(b0);
        r.pos++;
        continue;
      }
      const b1 = buf[r.pos + 1]!;
      if (b1 < 0x80 && r.pos + 1 < end) {
        out.push((b0 & 0x7f) | (b1 << 7));
        r.pos += 2;
        continue;
      }
      out.push(varint(r, signed));
    }
    done(r, end, "packed field");
  } else if ((tag & 7) === 0) {
    out.push(varint(r, signed));
  } else {
    skip(r, tag);
  }
}

function valueType(r: Reader): ValueType {
  const end = sub(r, "value type");
  const v: ValueType = { type: 0, unit: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) v.type = varint(r, true);
    else if (tag === 0x10) v.unit = varint(r, true);
    else skip(r, tag);
  }
  done(r, end, "value type");
  return v;
}

function label(r: Reader): Label {
  const end = sub(r, "label");
  const l: Label = { key: 0, str: 0, num: 0, numUnit: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) l.key = varint(r, true);
    else if (tag === 0x10) l.str = varint(r, true);
    else if (tag === 0x18) l.num = varint(r, true);
    else if (tag === 0x20) l.numUnit = varint(r, true);
    else skip(r, tag);
  }
  done(r, end, "label");
  return l;
}

function sample(r: Reader): Sample {
  const end = sub(r, "sample");
  const s: Sample = { locationId: [], value: [], label: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) repeated(r, tag, s.locationId, false);
    else if (field === 2) repeated(r, tag, s.value, true);
    else if (tag === 0x1a) s.label.push(label(r));
    else skip(r, tag);
  }
  done(r, end, "sample");
  return s;
}

function mapping(r: Reader): Mapping {
  const end = sub(r, "mapping");
  const m: Mapping = {
    id: 0,
    memoryStart: 0,
    memoryLimit: 0,
    fileOffset: 0,
    filename: 0,
    buildId: 0,
    hasFunctions: false,
    hasFilenames: false,
    hasLineNumbers: false,
    hasInlineFrames: false,
  };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x08:
        m.id = varint(r, false);
        break;
      case 0x10:
        m.memoryStart = varint(r, false);
        break;
      case 0x18:
        m.memoryLimit = varint(r, false);
        break;
      case 0x20:
        m.fileOffset = varint(r, false);
        break;
      case 0x28:
        m.filename = varint(r, true);
        break;
      case 0x30:
        m.buildId = varint(r, true);
        break;
      case 0x38:
        m.hasFunctions = varint(r, false) !== 0;
        break;
      case 0x40:
        m.hasFilenames = varint(r, false) !== 0;
        break;
      case 0x48:
        m.hasLineNumbers = varint(r, false) !== 0;
        break;
      case 0x50:
        m.hasInlineFrames = varint(r, false) !== 0;
        break;
      default:
        skip(r, tag);
    }
  }
  done(r, end, "mapping");
  return m;
}

function line(r: Reader): Line {
  const end = sub(r, "line");
  const l: Line = { functionId: 0, line: 0, column: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) l.functionId = varint(r, false);
    else if (tag === 0x10) l.line = varint(r, true);
    else if (tag === 0x18) l.column = varint(r, true);
    else skip(r, tag);
  }
  done(r, end, "line");
  return l;
}

function location(r: Reader): Location {
  const end = sub(r, "location");
  const l: Location = { id: 0, mappingId: 0, address: 0, line: [], isFolded: false };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) l.id = varint(r, false);
    else if (tag === 0x10) l.mappingId = varint(r, false);
    else if (tag === 0x18) l.address = varint(r, false);
    else if (tag === 0x22) l.line.push(line(r));
    else if (tag === 0x28) l.isFolded = varint(r, false) !== 0;
    else skip(r, tag);
  }
  done(r, end, "location");
  return l;
}

function fn(r: Reader): PprofFunction {
  const end = sub(r, "function");
  const f: PprofFunction = { id: 0, name: 0, systemName: 0, filename: 0, startLine: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) f.id = varint(r, false);
    else if (tag === 0x10) f.name = varint(r, true);
    else if (tag === 0x18) f.systemName = varint(r, true);
    else if (tag === 0x20) f.filename = varint(r, true);
    else if (tag === 0x28) f.startLine = varint(r, true);
    else skip(r, tag);
  }
  done(r, end, "function");
  return f;
}

/**
 * Decodes an uncompressed pprof `Profile`. Throws {@linkcode ProfileDecodeError} naming the
 * part at fault on malformed input, and when a string index points outside the string table.
 * Gzipped input must be gunzipped first (`gunzipIfNeeded`).
 */
export function decodeProfile(bytes: Uint8Array): Profile {
  const p = emptyProfile();
  p.stringTable.length = 0;
  const r = protobuf.Reader.create(bytes);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a:
          p.sampleType.push(valueType(r));
          break;
        case 0x12:
          p.sample.push(sample(r));
          break;
        case 0x1a:
          p.mapping.push(mapping(r));
          break;
        case 0x22:
          p.location.push(location(r));
          break;
        case 0x2a:
          p.function.push(fn(r));
          break;
        case 0x32:
          p.stringTable.push(r.string());
          break;
        case 0x38:
          p.dropFrames = varint(r, true);
          break;
        case 0x40:
          p.keepFrames = varint(r, true);
          break;
        case 0x48:
          p.timeNanos = varint(r, true);
          break;
        case 0x50:
          p.durationNanos = varint(r, true);
          break;
        case 0x5a:
          p.periodType = valueType(r);
          break;
        case 0x60:
          p.period = varint(r, true);
          break;
        case 0x68:
        case 0x6a:
          repeated(r, tag, p.comment, true);
          break;
        case 0x70:
          p.defaultSampleType = varint(r, true);
          break;
        case 0x78:
          p.docUrl = varint(r, true);
          break;
        default:
          if (tag >>> 3 <= 15 && tag >>> 3 > 0) {
            throw new ProfileDecodeError(
              `Profile field ${tag >>> 3} has wrong wire type ${tag & 7}`,
            );
          }
          skip(r, tag);
      }
    }
  } catch (error) {
    if (error instanceof ProfileDecodeError) throw error;
    // protobufjs throws RangeError("index out of range") on truncated input.
    const message = error instanceof Error ? error.message : String(error);
    throw new ProfileDecodeError(`invalid pprof profile: ${message}`);
  }
  if (p.stringTable.length === 0) p.stringTable.push("");
  else if (p.stringTable[0] !== "") {
    throw new ProfileDecodeError("string_table[0] must be the empty string");
  }
  return p;
}

function packed(w: protobuf.Writer, tag: number, values: readonly number[], signed: boolean) {
  if (values.length === 0) return;
  w.uint32(tag).fork();
  for (const v of values) writeNumber(w, v, signed);
  w.ldelim();
}

/**
 * Writes a varint. Values in 0..2^31-1 (nearly all of them) take protobufjs' uint32 path,
 * which encodes the same bytes as int64/uint64 without allocating a LongBits per value.
 */
function writeNumber(w: protobuf.Writer, v: number, signed: boolean): void {
  if (v >= 0 && v <= 0x7fffffff) w.uint32(v);
  else if (signed) w.int64(v);
  else w.uint64(v);
}

function writeValueType(w: protobuf.Writer, tag: number, v: ValueType): void {
  w.uint32(tag).fork();
  if (v.type) w.uint32(0x08).int64(v.type);
  if (v.unit) w.uint32(0x10).int64(v.unit);
  w.ldelim();
}

/** Encodes a `Profile` (uncompressed). Repeated scalars are written packed. */
export function encodeProfile(p: Profile): Uint8Array {
  const w = protobuf.Writer.create();
  for (const v of p.sampleType) writeValueType(w, 0x0a, v);
  for (const s of p.sample) {
    w.uint32(0x12).fork();
    packed(w, 0x0a, s.locationId, false);
    packed(w, 0x12, s.value, true);
    for (const l of s.label) {
      w.uint32(0x1a).fork();
      if (l.key) w.uint32(0x08).int64(l.key);
      if (l.str) w.uint32(0x10).int64(l.str);
      if (l.num) w.uint32(0x18).int64(l.num);
      if (l.numUnit) w.uint32(0x20).int64(l.numUnit);
      w.ldelim();
    }
    w.ldelim();
  }
  for (const m of p.mapping) {
    w.uint32(0x1a).fork();
    if (m.id) w.uint32(0x08).uint64(m.id);
    if (m.memoryStart) w.uint32(0x10).uint64(m.memoryStart);
    if (m.memoryLimit) w.uint32(0x18).uint64(m.memoryLimit);
    if (m.fileOffset) w.uint32(0x20).uint64(m.fileOffset);
    if (m.filename) w.uint32(0x28).int64(m.filename);
    if (m.buildId) w.uint32(0x30).int64(m.buildId);
    if (m.hasFunctions) w.uint32(0x38).bool(true);
    if (m.hasFilenames) w.uint32(0x40).bool(true);
    if (m.hasLineNumbers) w.uint32(0x48).bool(true);
    if (m.hasInlineFrames) w.uint32(0x50).bool(true);
    w.ldelim();
  }
  for (const l of p.location) {
    w.uint32(0x22).fork();
    if (l.id) w.uint32(0x08).uint64(l.id);
    if (l.mappingId) w.uint32(0x10).uint64(l.mappingId);
    if (l.address) w.uint32(0x18).uint64(l.address);
    for (const ln of l.line) {
      w.uint32(0x22).fork();
      if (ln.functionId) w.uint32(0x08).uint64(ln.functionId);
      if (ln.line) w.uint32(0x10).int64(ln.line);
      if (ln.column) w.uint32(0x18).int64(ln.column);
      w.ldelim();
    }
    if (l.isFolded) w.uint32(0x28).bool(true);
    w.ldelim();
  }
  for (const f of p.function) {
    w.uint32(0x2a).fork();
    if (f.id) w.uint32(0x08).uint64(f.id);
    if (f.name) w.uint32(0x10).int64(f.name);
    if (f.systemName) w.uint32(0x18).int64(f.systemName);
    if (f.filename) w.uint32(0x20).int64(f.filename);
    if (f.startLine) w.uint32(0x28).int64(f.startLine);
    w.ldelim();
  }
  for (const s of p.stringTable) w.uint32(0x32).string(s);
  if (p.dropFrames) w.uint32(0x38).int64(p.dropFrames);
  if (p.keepFrames) w.uint32(0x40).int64(p.keepFrames);
  if (p.timeNanos) w.uint32(0x48).int64(p.timeNanos);
  if (p.durationNanos) w.uint32(0x50).int64(p.durationNanos);
  if (p.periodType) writeValueType(w, 0x5a, p.periodType);
  if (p.period) w.uint32(0x60).int64(p.period);
  packed(w, 0x6a, p.comment, true);
  if (p.defaultSampleType) w.uint32(0x70).int64(p.defaultSampleType);
  if (p.docUrl) w.uint32(0x78).int64(p.docUrl);
  const out = w.finish();
  // protobufjs may hand back a Node Buffer; callers expect a plain Uint8Array view.
  return out.constructor === Uint8Array
    ? out
    : new Uint8Array(out.buffer, out.byteOffset, out.length);
}
