/**
 * Binary codec of the Pyroscope push API messages (`push.v1.PushRequest`), written from the
 * field numbers of spec §2.1. Encoding writes labels and raw profiles with no intermediate
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

/** Encodes a `PushRequest` holding `series` in order. */
export function encodePushRequest(series: readonly PushSeries[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const one of series) {
    writer.uint32(0x0a).fork(); // PushRequest.series = 1
    const names = one.labels.names;
    const values = one.labels.values;
    for (let i = 0; i < names.length; i++) {
      writer.uint32(0x0a).fork() // RawProfileSeries.labels = 1
        .uint32(0x0a).string(names[i]!) // LabelPair.name = 1
        .uint32(0x12).string(values[i]!) // LabelPair.value = 2
        .ldelim();
    }
    for (const sample of one.samples) {
      writer.uint32(0x12).fork(); // RawProfileSeries.samples = 2
      writer.uint32(0x0a).bytes(sample.rawProfile); // RawSample.raw_profile = 1
      if (sample.id) writer.uint32(0x12).string(sample.id); // RawSample.ID = 2
      writer.ldelim();
    }
    writer.ldelim();
  }
  return writer.finish();
}

/**
 * Decodes a `PushRequest`. Unknown fields are skipped, as protobuf requires. Throws an Error
 * whose message starts with `unmarshal message:` on malformed input.
 */
export function decodePushRequest(bytes: Uint8Array): DecodedPushSeries[] {
  try {
    const reader = protobuf.Reader.create(bytes);
    const result: DecodedPushSeries[] = [];
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === 0x0a) {
        result.push(decodeSeries(reader, reader.uint32()));
      } else {
        skip(reader, tag);
      }
    }
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`unmarshal message: ${message}`);
  }
}

function decodeSeries(reader: protobuf.Reader, length: number): DecodedPushSeries {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("series length exceeds message");
  const labelPairs: [string, string][] = [];
  const samples: RawSample[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 0x0a) {
      labelPairs.push(decodeLabelPair(reader, reader.uint32()));
    } else if (tag === 0x12) {
      samples.push(decodeSample(reader, reader.uint32()));
    } else {
      skip(reader, tag);
    }
  }
  if (reader.pos !== end) throw new Error("series overruns its length");
  return { labelPairs, labels: LabelSet.from(labelPairs), samples };
}

function decodeLabelPair(reader: protobuf.Reader, length: number): [string, string] {
  const end = reader.pos + length;
  if (end > reader.len) throw new Error("label length exceeds message");
  let name = "";
  let value = "";
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 0x0a) name = reader.string();
    else if (tag === 0x12) value = reader.string();
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

function skip(reader: protobuf.Reader, tag: number): void {
  const wireType = tag & 7;
  if (tag >>> 3 === 0) throw new Error(`invalid field number 0`);
  if (wireType === 3 || wireType === 4 || wireType > 5) {
    throw new Error(`invalid wire type ${wireType}`);
  }
  reader.skipType(wireType);
}
