/**
 * A small hand-written protobuf reader and writer (no protobufjs, no `.proto` at runtime) for
 * the codecs of `core/wire/` that need every scalar kind: 64-bit integers are JS numbers
 * (exact up to 2^53, rounded beyond, negative int64 as negative numbers), strings must be
 * valid UTF-8 (as Go's protobuf requires), and every length is checked against its message.
 *
 * @example
 * ```ts
 * import { ProtoReader, ProtoWriter } from "./protobuf.ts";
 * const w = new ProtoWriter();
 * w.int64(1, -5).string(2, "hé");
 * const r = new ProtoReader(w.finish());
 * r.tag(); // (1 << 3) | 0
 * r.int64(); // -5
 * ```
 * @module
 */

const TWO_32 = 4294967296;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Thrown for bytes that are not a valid protobuf message of the expected shape. */
export class ProtoDecodeError extends Error {
  override readonly name = "ProtoDecodeError";
}

/** Reads one message (or a sub-range of one). */
export class ProtoReader {
  pos: number;
  end: number;
  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  /** Whether bytes are left before `end`. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** The next tag (`field << 3 | wireType`); field 0 is refused. */
  tag(): number {
    const tag = this.uint32();
    if (tag >>> 3 === 0) throw new ProtoDecodeError("invalid field number 0");
    return tag;
  }

  /** A varint as `[lo, hi]` unsigned 32-bit halves. */
  #varint64(): [number, number] {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let pos = this.pos;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new ProtoDecodeError("truncated varint");
      const b = buf[pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if (b < 0x80) {
        this.pos = pos;
        return [lo >>> 0, hi >>> 0];
      }
    }
    throw new ProtoDecodeError("varint longer than 10 bytes");
  }

  /**
   * A varint below 2^28 (at most 4 bytes), or -1 when it is longer or truncated (the caller
   * falls back to the full reader, which throws for truncation).
   */
  #small(): number {
    const buf = this.buf;
    let pos = this.pos;
    // Near the end of a (sub-)message, where the last small varints of every embedded message
    // are, check each byte instead of falling back to the allocating full reader.
    if (pos + 4 > this.end) return this.#smallNearEnd();
    let b = buf[pos++]!;
    let value = b & 0x7f;
    if (b >= 0x80) {
      b = buf[pos++]!;
      value |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = buf[pos++]!;
        value |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = buf[pos++]!;
          value |= (b & 0x7f) << 21;
          if (b >= 0x80) return -1;
        }
      }
    }
    this.pos = pos;
    return value;
  }

  /** {@linkcode ProtoReader.#small} with fewer than 4 bytes left before `end`. */
  #smallNearEnd(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 28 && pos < end; shift += 7) {
      const b = buf[pos++]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
    }
    return -1;
  }

  /** uint32 (and the length of length-delimited fields). */
  uint32(): number {
    const small = this.#small();
    return small >= 0 ? small : this.#varint64()[0];
  }

  /** int32 (negative values are sign-extended 10-byte varints). */
  int32(): number {
    const small = this.#small();
    return small >= 0 ? small : this.#varint64()[0] | 0;
  }

  /** uint64 as a number. */
  uint64(): number {
    const small = this.#small();
    if (small >= 0) return small;
    const [lo, hi] = this.#varint64();
    return hi * TWO_32 + lo;
  }

  /** int64 (two's complement) as a number. */
  int64(): number {
    const small = this.#small();
    if (small >= 0) return small;
    const [lo, hi] = this.#varint64();
    return hi >= 0x80000000 ? (hi - TWO_32) * TWO_32 + lo : hi * TWO_32 + lo;
  }

  bool(): boolean {
    const [lo, hi] = this.#varint64();
    return lo !== 0 || hi !== 0;
  }

  /** fixed64 (unsigned) as a number. */
  fixed64(): number {
    if (this.pos + 8 > this.end) throw new ProtoDecodeError("truncated fixed64");
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getUint32(4, true) * TWO_32 + view.getUint32(0, true);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoDecodeError("truncated double");
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  /** A length-delimited field's bytes: a view, not a copy. */
  bytes(): Uint8Array {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw new ProtoDecodeError("length exceeds the message");
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** A strict UTF-8 string; `path` names the field in the error. */
  string(path = "string"): string {
    const bytes = this.bytes();
    let ascii = bytes.length <= 64;
    for (let i = 0; ascii && i < bytes.length; i++) if (bytes[i]! >= 0x80) ascii = false;
    // `apply` takes the typed array as an array-like: several times faster than spreading it.
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new ProtoDecodeError(`${path}: string field contains invalid UTF-8`);
    }
  }

  /** A reader over the next length-delimited field (an embedded message). */
  sub(): ProtoReader {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw new ProtoDecodeError("embedded message length exceeds its parent");
    const reader = new ProtoReader(this.buf, this.pos, end);
    this.pos = end;
    return reader;
  }

  /**
   * Reads a repeated scalar field, packed (wire type 2) or not, pushing each value read by
   * `read` into `out`.
   */
  repeated(tag: number, out: number[], read: (r: ProtoReader) => number): void {
    if ((tag & 7) === 2) {
      const inner = this.sub();
      while (inner.more()) out.push(read(inner));
    } else out.push(read(this));
  }

  /** Skips a field of the given tag. */
  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.#varint64();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new ProtoDecodeError(`invalid wire type ${tag & 7} for field ${tag >>> 3}`);
    }
    if (this.pos > this.end) throw new ProtoDecodeError("truncated field");
  }
}

/**
 * Writes a message. Embedded messages are written with {@linkcode ProtoWriter.message}, which
 * encodes the child into its own writer first (simple, and fast enough for export batches).
 */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #pos = 0;

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  /** Writes a raw varint of an unsigned 32-bit value. */
  #varint32(value: number): void {
    this.#room(5);
    value >>>= 0;
    while (value >= 0x80) {
      this.#buf[this.#pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.#buf[this.#pos++] = value;
  }

  /** Writes a raw varint of a 64-bit value given as a number (negative: two's complement). */
  #varint64(value: number): void {
    if (value >= 0 && value < TWO_32) return this.#varint32(value);
    this.#room(10);
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = value % TWO_32 >>> 0;
      hi = Math.floor(value / TWO_32) >>> 0;
    } else {
      const abs = -value;
      let alo = abs % TWO_32 >>> 0;
      let ahi = Math.floor(abs / TWO_32) >>> 0;
      // two's complement of (ahi, alo)
      alo = ~alo >>> 0;
      ahi = ~ahi >>> 0;
      alo = (alo + 1) >>> 0;
      if (alo === 0) ahi = (ahi + 1) >>> 0;
      lo = alo;
      hi = ahi;
    }
    while (hi > 0 || lo >= 0x80) {
      this.#buf[this.#pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.#buf[this.#pos++] = lo;
  }

  #tag(field: number, wireType: number): void {
    this.#varint32((field << 3) | wireType);
  }

  /** A uint32/int32/enum field (omitted when 0). Negative int32 is written as 10 bytes. */
  int32(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, 0);
    if (value < 0) this.#varint64(value);
    else this.#varint32(value);
    return this;
  }

  /** An int64/uint64 field (omitted when 0). */
  int64(field: number, value: number, always = false): this {
    if (value === 0 && !always) return this;
    this.#tag(field, 0);
    this.#varint64(value);
    return this;
  }

  bool(field: number, value: boolean, always = false): this {
    if (!value && !always) return this;
    this.#tag(field, 0);
    this.#varint32(value ? 1 : 0);
    return this;
  }

  /** A fixed64 field (omitted when 0). */
  fixed64(field: number, value: number): this {
    if (value === 0) return this;
    this.#tag(field, 1);
    this.#fixed64Raw(value);
    return this;
  }

  #fixed64Raw(value: number): void {
    this.#room(8);
    const view = new DataView(this.#buf.buffer, this.#pos, 8);
    view.setUint32(0, value % TWO_32 >>> 0, true);
    view.setUint32(4, Math.floor(value / TWO_32) >>> 0, true);
    this.#pos += 8;
  }

  double(field: number, value: number, always = false): this {
    if (value === 0 && !Object.is(value, -0) && !always) return this;
    this.#tag(field, 1);
    this.#room(8);
    new DataView(this.#buf.buffer, this.#pos, 8).setFloat64(0, value, true);
    this.#pos += 8;
    return this;
  }

  /** A bytes field (omitted when empty unless `always`). */
  bytes(field: number, value: Uint8Array, always = false): this {
    if (value.length === 0 && !always) return this;
    this.#tag(field, 2);
    this.#varint32(value.length);
    this.#room(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
    return this;
  }

  /** Bytes already encoded as protobuf (whole fields, tags included), copied as they are. */
  raw(encoded: Uint8Array): this {
    this.#room(encoded.length);
    this.#buf.set(encoded, this.#pos);
    this.#pos += encoded.length;
    return this;
  }

  /** A string field (omitted when empty unless `always`, as for repeated strings). */
  string(field: number, value: string, always = false): this {
    if (value === "" && !always) return this;
    return this.bytes(field, encoder.encode(value), true);
  }

  /**
   * An embedded message (always written, even when empty), written in place after a gap for
   * its length, then moved back over the part of the gap the length does not need.
   */
  message(field: number, write: (w: ProtoWriter) => void): this {
    this.#tag(field, 2);
    this.#room(5);
    const gap = this.#pos;
    this.#pos += 5;
    write(this);
    const length = this.#pos - gap - 5;
    const size = varintSize(length);
    if (size < 5) this.#buf.copyWithin(gap + size, gap + 5, this.#pos);
    this.#pos = gap;
    this.#varint32(length);
    this.#pos += length;
    return this;
  }

  /** A packed repeated int32/int64 field (omitted when empty). */
  packedInt(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    return this.message(field, (w) => {
      for (const value of values) {
        if (value < 0 || value >= TWO_32) w.#varint64(value);
        else w.#varint32(value);
      }
    });
  }

  /** A packed repeated fixed64 field (omitted when empty). */
  packedFixed64(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    return this.message(field, (w) => {
      for (const value of values) w.#fixed64Raw(value);
    });
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** Bytes a varint of `value` takes. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
