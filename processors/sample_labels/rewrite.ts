/**
 * Relabel rules over the string labels of each sample of one decompressed pprof profile, as a
 * pure function of bytes (input bytes + compiled rules → output bytes + counts) so that it can
 * move to a worker unchanged; the processor runs it inline for now.
 *
 * It streams over the wire format with `ProtoReader` and never builds the profile:
 *
 * 1. **Index**: one walk over the top-level fields records where each string and each sample
 *    sits. Strings are decoded only when a sample label refers to them.
 * 2. **Relabel**: each sample's string labels (key and value indices) are looked up in a
 *    per-profile map; a new combination is decoded into a `LabelSet` and run through the rules
 *    (results are cached across profiles by label set). Numeric labels are never touched.
 * 3. **Write** (only when some sample changed): every top-level field other than `sample` is
 *    copied byte for byte; the samples go where the first one was, each written as its
 *    location ids (raw bytes), summed values, new string labels, then its numeric labels and
 *    unknown fields (raw bytes). Samples whose locations, labels and other fields became equal
 *    are merged (values summed); samples a `keep`/`drop` rule removes are left out. New strings
 *    are appended after the last `string_table` entry, so existing indices stay valid.
 *
 * A sample with the same key twice keeps the last value (pprof discourages repeated keys).
 *
 * @example
 * ```ts
 * import { compileRelabelRules } from "../../core/relabel/mod.ts";
 * import { createSampleRules, rewriteSampleLabels } from "./rewrite.ts";
 * const rules = createSampleRules(
 *   compileRelabelRules([{ regex: "span_id|trace_id", action: "labeldrop" }]),
 *   10_000,
 * );
 * const profile = new Uint8Array([0x32, 0x00]); // string_table: [""], no sample
 * rewriteSampleLabels(profile, rules).bytes; // null: nothing to change
 * ```
 * @module
 */

import { LabelSet } from "../../core/labels.ts";
import { relabelAllowingEmpty, type RelabelRule } from "../../core/relabel/mod.ts";
import { ProtoDecodeError, ProtoReader, ProtoWriter } from "../../core/wire/protobuf.ts";

const SAMPLE_FIELD = 2;
const STRING_FIELD = 6;
const SAMPLE_TAG = (SAMPLE_FIELD << 3) | 2;
const STRING_TAG = (STRING_FIELD << 3) | 2;
// Sample fields.
const LOCATION_PACKED = (1 << 3) | 2;
const LOCATION_VARINT = 1 << 3;
const VALUE_PACKED = (2 << 3) | 2;
const VALUE_VARINT = 2 << 3;
const LABEL_TAG = (3 << 3) | 2;
// Label fields.
const LABEL_KEY = 1 << 3;
const LABEL_STR = 2 << 3;

/** Compiled rules plus the cross-profile cache of their results (memoization only). */
export interface SampleRules {
  readonly rules: readonly RelabelRule[];
  /** Result per input label-set key: the new set, or null when a rule dropped the sample. */
  readonly cache: Map<string, LabelSet | null>;
  /** Entries kept before the cache is emptied and starts over; 0 disables it. */
  readonly maxCacheSize: number;
}

/** Rules ready for {@linkcode rewriteSampleLabels}. */
export function createSampleRules(
  rules: readonly RelabelRule[],
  maxCacheSize: number,
): SampleRules {
  return { rules, cache: new Map(), maxCacheSize };
}

/** What {@linkcode rewriteSampleLabels} did to one profile. */
export interface SampleRewrite {
  /** The rewritten profile (owned), or null when no sample changed: the input stands. */
  readonly bytes: Uint8Array | null;
  /** Samples in the input. */
  readonly samples: number;
  /** Samples a `keep`/`drop` rule removed. */
  readonly dropped: number;
  /** Samples folded into an equal one (their values added to it). */
  readonly merged: number;
}

const readInt64 = (reader: ProtoReader): number => reader.int64();

/** The set of `texts` (name, value, ...) whose names are strictly ascending, values non-empty. */
function sortedLabelSet(texts: readonly string[]): LabelSet {
  const names: string[] = new Array(texts.length / 2);
  const values: string[] = new Array(texts.length / 2);
  for (let i = 0; i < names.length; i++) {
    names[i] = texts[2 * i]!;
    values[i] = texts[2 * i + 1]!;
  }
  return LabelSet.fromSortedUnchecked(names, values);
}

/** `texts` (name, value, ...) as pairs, for `LabelSet.from` to sort and deduplicate. */
function labelPairs(texts: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < texts.length; i += 2) pairs.push([texts[i]!, texts[i + 1]!]);
  return pairs;
}

/** The result of the rules for `labels`, through the cache. */
function applyRules(rules: SampleRules, labels: LabelSet): LabelSet | null {
  if (rules.maxCacheSize === 0) return relabelAllowingEmpty(labels, rules.rules);
  const key = labels.key();
  const cached = rules.cache.get(key);
  if (cached !== undefined) return cached;
  const result = relabelAllowingEmpty(labels, rules.rules);
  // Most profiles share a handful of label sets; starting over when full is enough.
  if (rules.cache.size >= rules.maxCacheSize) rules.cache.clear();
  rules.cache.set(key, result);
  return result;
}

/**
 * Builds map keys from numbers and byte ranges as strings of UTF-16 code units, one
 * `String.fromCharCode` per key (decimal conversion and concatenation cost more).
 */
class KeyBuilder {
  readonly #codes: number[] = [];

  /** A number below 2^32 as two code units. */
  number(value: number): this {
    this.#codes.push(value & 0xffff, value >>> 16);
    return this;
  }

  /** The bytes of `ranges` (`[start, end)` pairs of `buf`), then a separator. */
  bytes(buf: Uint8Array, ranges: readonly number[]): this {
    const codes = this.#codes;
    for (let i = 0; i < ranges.length; i += 2) {
      for (let at = ranges[i]!, end = ranges[i + 1]!; at < end; at++) codes.push(buf[at]!);
    }
    // 0x100 is no byte: the next part cannot be mistaken for more of these bytes.
    codes.push(0x100);
    return this;
  }

  /** The key; the builder is empty again. */
  finish(): string {
    const codes = this.#codes;
    if (codes.length <= 8192) {
      const key = String.fromCharCode.apply(null, codes);
      codes.length = 0;
      return key;
    }
    let key = "";
    for (let i = 0; i < codes.length; i += 8192) {
      key += String.fromCharCode.apply(null, codes.slice(i, i + 8192));
    }
    codes.length = 0;
    return key;
  }
}

/** The string table of one profile: decoded on demand, extended with new strings. */
class StringTable {
  /** Offset of each entry's length prefix, and the end of its bytes. */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  #decoded: (string | undefined)[] = [];
  readonly #reader: ProtoReader;
  readonly #appended = new Map<string, number>();
  /** Strings to append, in order. */
  readonly added: string[] = [];

  constructor(readonly buf: Uint8Array) {
    this.#reader = new ProtoReader(buf);
  }

  /** Called once every entry is indexed: sizes the cache of decoded strings. */
  indexed(): void {
    this.#decoded = new Array(this.starts.length).fill(undefined);
  }

  get size(): number {
    return this.starts.length;
  }

  at(index: number): string {
    if (index < 0 || index >= this.starts.length) {
      throw new ProtoDecodeError(
        `sample label refers to string ${index}, past the string table (${this.starts.length})`,
      );
    }
    let value = this.#decoded[index];
    if (value === undefined) {
      const reader = this.#reader;
      reader.pos = this.starts[index]!;
      reader.end = this.ends[index]!;
      try {
        value = reader.string();
      } catch {
        throw new ProtoDecodeError(`string_table[${index}] is not valid UTF-8`);
      }
      this.#decoded[index] = value;
    }
    return value;
  }

  /**
   * The index of `value` among the strings this rewrite appended, appending it when new.
   * Strings of the input table are found by the caller (a label's own key and value indices):
   * a value that is elsewhere in the table is appended again, which pprof allows, rather than
   * decoding the whole table to look for it.
   */
  appended(value: string): number {
    let index = this.#appended.get(value);
    if (index !== undefined) return index;
    if (this.starts.length === 0) {
      throw new ProtoDecodeError("profile has no string table to add label strings to");
    }
    index = this.starts.length + this.added.length;
    this.added.push(value);
    this.#appended.set(value, index);
    return index;
  }
}

/** One sample as read: where its parts are and what its string labels resolved to. */
interface SampleParts {
  /** `[start, end)` pairs of its raw `location_id` fields. */
  readonly locations: number[];
  readonly values: number[];
  /** `[start, end)` pairs of its numeric labels and unknown fields, copied as they are. */
  readonly others: number[];
  /** Index into the output label sets, or -1 when a rule dropped the sample. */
  labels: number;
}

/**
 * Applies `rules` to the string labels of every sample of `profile` (decompressed pprof).
 * Throws `ProtoDecodeError` when the bytes are not a pprof profile it can read.
 */
export function rewriteSampleLabels(profile: Uint8Array, rules: SampleRules): SampleRewrite {
  const strings = new StringTable(profile);
  const sampleStarts: number[] = [];
  const sampleEnds: number[] = [];
  let lastStringEnd = -1;
  const top = new ProtoReader(profile);
  while (top.more()) {
    const tag = top.tag();
    if (tag === STRING_TAG || tag === SAMPLE_TAG) {
      const start = top.pos;
      const length = top.uint32();
      const end = top.pos + length;
      if (end > top.end) throw new ProtoDecodeError("length exceeds the message");
      top.pos = end;
      if (tag === STRING_TAG) {
        strings.starts.push(start);
        strings.ends.push(end);
        lastStringEnd = end;
      } else {
        sampleStarts.push(top.pos - length);
        sampleEnds.push(end);
      }
    } else if (tag >>> 3 === SAMPLE_FIELD || tag >>> 3 === STRING_FIELD) {
      throw new ProtoDecodeError(`field ${tag >>> 3} of a profile must be length-delimited`);
    } else top.skip(tag);
  }
  strings.indexed();
  const samples = sampleStarts.length;
  if (samples === 0) return { bytes: null, samples, dropped: 0, merged: 0 };

  // Output label sets, interned by their key; each is its encoded `label` fields.
  const outputIds = new Map<string, number>();
  const outputLabels: Uint8Array[] = [];
  // Per profile: a sample's string-label indices (as a key) → output id, or -1 (dropped).
  const byIndices = new Map<string, number>();
  let changed = false;
  let dropped = 0;

  /** The index of `text`: one of the sample's own label strings, else an appended one. */
  const indexOf = (text: string, texts: readonly string[], pairs: readonly number[]): number => {
    for (let i = 0; i < texts.length; i++) if (texts[i] === text) return pairs[i]!;
    return strings.appended(text);
  };

  const resolve = (pairs: number[]): number => {
    // The label strings, parallel to `pairs` (name, value, name, value, ...).
    const texts: string[] = new Array(pairs.length);
    let sorted = true;
    for (let i = 0; i < pairs.length; i += 2) {
      const name = strings.at(pairs[i]!);
      const value = strings.at(pairs[i + 1]!);
      texts[i] = name;
      texts[i + 1] = value;
      if (value === "" || (i > 0 && !(texts[i - 2]! < name))) sorted = false;
    }
    const input = sorted ? sortedLabelSet(texts) : LabelSet.from(labelPairs(texts));
    const result = applyRules(rules, input);
    if (result === null) {
      changed = true;
      return -1;
    }
    // A repeated key, an empty value or a rule result all differ from the labels as written.
    if (input.size * 2 !== pairs.length || !result.equals(input)) changed = true;
    const key = result.key();
    let id = outputIds.get(key);
    if (id === undefined) {
      const writer = new ProtoWriter();
      const names = result.names;
      const values = result.values;
      for (let i = 0; i < names.length; i++) {
        const name = indexOf(names[i]!, texts, pairs);
        const value = indexOf(values[i]!, texts, pairs);
        writer.message(3, (label) => label.int64(1, name).int64(2, value));
      }
      id = outputLabels.length;
      outputLabels.push(writer.finish());
      outputIds.set(key, id);
    }
    return id;
  };

  const keys = new KeyBuilder();
  const sampleReader = new ProtoReader(profile);
  const parts: SampleParts[] = new Array(samples);
  const pairs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const sample: SampleParts = { locations: [], values: [], others: [], labels: 0 };
    pairs.length = 0;
    const reader = sampleReader;
    reader.pos = sampleStarts[s]!;
    reader.end = sampleEnds[s]!;
    while (reader.more()) {
      const start = reader.pos;
      const tag = reader.tag();
      if (tag === LOCATION_PACKED || tag === LOCATION_VARINT) {
        reader.skip(tag);
        sample.locations.push(start, reader.pos);
      } else if (tag === VALUE_PACKED || tag === VALUE_VARINT) {
        reader.repeated(tag, sample.values, readInt64);
      } else if (tag === LABEL_TAG) {
        // Read in place (no sub-reader per label: samples have many).
        const labelEnd = reader.uint32() + reader.pos;
        if (labelEnd > reader.end) throw new ProtoDecodeError("label length exceeds its sample");
        const sampleEnd = reader.end;
        reader.end = labelEnd;
        let key = 0;
        let str = 0;
        while (reader.more()) {
          const field = reader.tag();
          if (field === LABEL_KEY) key = reader.int64();
          else if (field === LABEL_STR) str = reader.int64();
          else reader.skip(field);
        }
        reader.end = sampleEnd;
        // A numeric label (no string value) or one without a key stays as written.
        if (str !== 0 && key !== 0) pairs.push(key, str);
        else sample.others.push(start, reader.pos);
      } else {
        reader.skip(tag);
        sample.others.push(start, reader.pos);
      }
    }
    for (let i = 0; i < pairs.length; i++) keys.number(pairs[i]!);
    const indices = keys.finish();
    let id = byIndices.get(indices);
    if (id === undefined) {
      id = resolve(pairs);
      byIndices.set(indices, id);
    }
    if (id < 0) dropped++;
    sample.labels = id;
    parts[s] = sample;
  }
  if (!changed) return { bytes: null, samples, dropped: 0, merged: 0 };

  // Merge samples that became equal: same locations, labels and other fields.
  const kept: SampleParts[] = [];
  const byIdentity = new Map<string, SampleParts>();
  for (const sample of parts) {
    if (sample.labels < 0) continue;
    const identity = keys.bytes(profile, sample.locations).number(sample.labels)
      .bytes(profile, sample.others).finish();
    const first = byIdentity.get(identity);
    if (first === undefined) {
      byIdentity.set(identity, sample);
      kept.push(sample);
      continue;
    }
    for (let i = 0; i < sample.values.length; i++) {
      first.values[i] = (first.values[i] ?? 0) + sample.values[i]!;
    }
  }

  const out = new ProtoWriter();
  let samplesWritten = false;
  const copy = new ProtoReader(profile);
  while (copy.more()) {
    const start = copy.pos;
    const tag = copy.tag();
    copy.skip(tag);
    if (tag === SAMPLE_TAG) {
      if (!samplesWritten) writeSamples(out, profile, kept, outputLabels);
      samplesWritten = true;
      continue;
    }
    out.raw(profile.subarray(start, copy.pos));
    if (copy.pos === lastStringEnd) {
      for (const added of strings.added) out.string(STRING_FIELD, added, true);
    }
  }
  return {
    bytes: out.finish(),
    samples,
    dropped,
    merged: samples - dropped - kept.length,
  };
}

function writeSamples(
  out: ProtoWriter,
  profile: Uint8Array,
  samples: readonly SampleParts[],
  labels: readonly Uint8Array[],
): void {
  for (const sample of samples) {
    out.message(SAMPLE_FIELD, (w) => {
      const locations = sample.locations;
      for (let i = 0; i < locations.length; i += 2) {
        w.raw(profile.subarray(locations[i]!, locations[i + 1]!));
      }
      w.packedInt(2, sample.values);
      w.raw(labels[sample.labels]!);
      const others = sample.others;
      for (let i = 0; i < others.length; i += 2) {
        w.raw(profile.subarray(others[i]!, others[i + 1]!));
      }
    });
  }
}
