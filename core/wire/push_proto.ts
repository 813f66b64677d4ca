/**
 * Binary codec of the Pyroscope push API messages (`push.v1.PushRequest`), written from the
 * field numbers of docs/spec/pyroscope-wire.md §2.1. Encoding writes labels and raw profiles with no intermediate
 * objects; decoding returns raw profiles as views into the request buffer (no copies).
 *
 * @example
 * ```ts
 * import { decodePushRequest, encodePushRequest } from "./push_proto.ts";
 * import { LabelSet } from "../labels.ts";
 * const bytes = encodePushRequest([{
 *   labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc" }),
 *   samples: [{ rawProfile: new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]) }],
 * }]);
 * decodePushRequest(bytes)[0]!.labels.get("service_name"); // "svc"
 * ```
 * @module
 */

import { varintSize } from "./protobuf.ts";
import protobuf from "protobufjs/minimal";
import { LabelSet } from "../labels.ts";
import type { RawSample } from "../items.ts";

/** One series of a push request. */
export interface PushSeries {
  readonly labels: LabelSet;
  readonly samples: readonly RawSample[];
}

/** A decoded series: labels exactly as sent (order and duplicates kept), plus samples. */
export interface DecodedPushSeries {
  /** Label pairs in wire order; duplicates and empty values kept for the caller to judge. */
  readonly labelPairs: readonly (readonly [string, string])[];
  /** The pairs applied in order (`Set` semantics: a later duplicate wins, empty deletes). */
  readonly labels: LabelSet;
  readonly samples: readonly RawSample[];
}

/**
 * Encodes a `PushRequest` holding `series` in order. Sizes are computed first and the
 * message is written into one exactly-sized buffer, so each raw profile is copied once.
 */
export function encodePushRequest(series: readonly PushSeries[]): Uint8Array {
  // Pass 1: sizes (cached per label string, since names repeat across series).
  const lengths = new Map<string, number>();
  const strLen = (text: string): number => {
    let n = lengths.get(text);
    if (n === undefined) {
      n = utf8Length(text);
      lengths.set(text, n);
    }
    return n;
  };
  const seriesSizes: number[] = [];
  let total = 0;
  for (const one of series) {
    let size = 0;
    const names = one.labels.names;
    const values = one.labels.values;
    for (let i = 0; i < names.length; i++) {
      const pair = field(strLen(names[i]!)) + field(strLen(values[i]!));
      size += field(pair);
    }
    for (const sample of one.samples) {
      let inner = field(sample.rawProfile.byteLength);
      if (sample.id) inner += field(strLen(sample.id));
      size += field(inner);
    }
    seriesSizes.push(size);
    total += field(size);
  }
  // Pass 2: write.
  const out = new Uint8Array(total);
  const encoder = new TextEncoder();
  let pos = 0;
  const varint = (value: number) => {
    while (value >= 0x80) {
      out[pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[pos++] = value;
  };
  const string = (tag: number, text: string) => {
    out[pos++] = tag;
    const n = strLen(text);
    varint(n);
    pos += encoder.encodeInto(text, out.subarray(pos, pos + n)).written;
  };
  series.forEach((one, index) => {
    out[pos++] = 0x0a; // PushRequest.series = 1
    varint(seriesSizes[index]!);
    const names = one.labels.names;
    const values = one.labels.values;
    for (let i = 0; i < names.length; i++) {
      out[pos++] = 0x0a; // RawProfileSeries.labels = 1
      varint(field(strLen(names[i]!)) + field(strLen(values[i]!)));
      string(0x0a, names[i]!); // LabelPair.name = 1
      string(0x12, values[i]!); // LabelPair.value = 2
    }
    for (const sample of one.samples) {
      out[pos++] = 0x12; // RawProfileSeries.samples = 2
      let inner = field(sample.rawProfile.byteLength);
      if (sample.id) inner += field(strLen(sample.id));
      varint(inner);
      out[pos++] = 0x0a; // RawSample.raw_profile = 1
      varint(sample.rawProfile.byteLength);
      out.set(sample.rawProfile, pos);
      pos += sample.rawProfile.byteLength;
      if (sample.id) string(0x12, sample.id); // RawSample.ID = 2
    }
  });
  return out;
}

/** Bytes of a length-delimited field with a one-byte tag and `length` bytes of content. */
function field(length: number): number {
  return 1 + varintSize(length) + length;
}

/** UTF-8 length of a JS string (lone surrogates count as U+FFFD, as TextEncoder writes). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** A request carries more series than the decoder was allowed to decode. */
export class TooManySeriesError extends Error {
  override readonly name = "TooManySeriesError";
  constructor(readonly limit: number) {
    super(`request carries more than ${limit} series`);
  }
}

/**
 * Decodes a `PushRequest`. Unknown fields are skipped, as protobuf requires. Throws an Error
 * whose message starts with `unmarshal message:` on malformed input, and
 * {@linkcode TooManySeriesError} as soon as series number `maxSeries + 1` starts.
 */
export function decodePushRequest(bytes: Uint8Array, maxSeries = Infinity): DecodedPushSeries[] {
  try {
    const reader = protobuf.Reader.create(bytes);
    const result: DecodedPushSeries[] = [];
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === 0x0a) {
        if (result.length >= maxSeries) throw new TooManySeriesError(maxSeries);
        result.push(decodeSeries(reader, reader.uint32(), `series[${result.length}]`));
      } else {
        skip(reader, tag);
      }
    }
    return result;
  } catch (error) {
    if (error instanceof TooManySeriesError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`unmarshal message: ${message}`);
  }
}

function decodeSeries(
  reader: protobuf.Reader,
  length: number,
  path: string,
): DecodedPushSeries {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("series length exceeds message");
  const labelPairs: [string, string][] = [];
  const samples: RawSample[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 0x0a) {
      const at = `${path}.labels[${labelPairs.length}]`;
      labelPairs.push(decodeLabelPair(reader, reader.uint32(), at));
    } else if (tag === 0x12) {
      samples.push(decodeSample(reader, reader.uint32()));
    } else {
      skip(reader, tag);
    }
  }
  if (reader.pos !== end) throw new Error("series overruns its length");
  return { labelPairs, labels: LabelSet.from(labelPairs), samples };
}

function decodeLabelPair(reader: protobuf.Reader, length: number, path: string): [string, string] {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("label length exceeds message");
  let name = "";
  let value = "";
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 0x0a) name = strictString(reader.bytes(), `${path}.name`);
    else if (tag === 0x12) value = strictString(reader.bytes(), `${path}.value`);
    else skip(reader, tag);
  }
  if (reader.pos !== end) throw new Error("label overruns its length");
  return [name, value];
}

function decodeSample(reader: protobuf.Reader, length: number): RawSample {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("sample length exceeds message");
  let rawProfile: Uint8Array = new Uint8Array(0);
  let id: string | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 0x0a) rawProfile = reader.bytes();
    else if (tag === 0x12) id = reader.string();
    else skip(reader, tag);
  }
  if (reader.pos !== end) throw new Error("sample overruns its length");
  return id ? { rawProfile, id } : { rawProfile };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A proto3 `string` field, refused unless it is valid UTF-8 (as Go's protobuf and so the
 * Pyroscope server do), instead of being turned into U+FFFD.
 */
function strictString(bytes: Uint8Array, path: string): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  // Short ASCII strings (nearly every label) skip the decoder call.
  if (ascii && bytes.length <= 64) return String.fromCharCode(...bytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new Error(`${path}: string field contains invalid UTF-8`);
  }
}

function skip(reader: protobuf.Reader, tag: number): void {
  const wireType = tag & 7;
  if (tag >>> 3 === 0) throw new Error(`invalid field number 0`);
  if (wireType === 3 || wireType === 4 || wireType > 5) {
    throw new Error(`invalid wire type ${wireType}`);
  }
  reader.skipType(wireType);
}
