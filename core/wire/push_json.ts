/**
 * protojson decoding of `push.v1.PushRequest` (docs/spec/pyroscope-wire.md §2.1), as connect-go's JSON codec reads
 * it: JSON names or proto names (`rawProfile` / `raw_profile`, `ID`), `bytes` as base64
 * (standard or URL-safe, padded or not), `null` meaning the default, unknown fields ignored.
 * Types are strict: a number where a string belongs is an error naming its path.
 *
 * @example
 * ```ts
 * import { decodePushJson } from "./push_json.ts";
 * const series = decodePushJson(new TextEncoder().encode(JSON.stringify({
 *   series: [{
 *     labels: [{ name: "service_name", value: "svc" }],
 *     samples: [{ rawProfile: "CgQIARAC", ID: "abc" }],
 *   }],
 * })));
 * series[0]!.samples[0]!.rawProfile.length; // 6
 * ```
 * @module
 */

import { LabelSet } from "../labels.ts";
import type { RawSample } from "../items.ts";
import { type DecodedPushSeries, TooManySeriesError } from "./push_proto.ts";

class JsonShapeError extends Error {}

type JsonObject = Record<string, unknown>;

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function object(value: unknown, path: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new JsonShapeError(`${path}: expected an object, got ${kind(value)}`);
  }
  return value as JsonObject;
}

/** The first present field among `names` (protojson accepts the JSON and the proto name). */
function field(obj: JsonObject, ...names: string[]): [string, unknown] {
  for (const name of names) {
    if (Object.hasOwn(obj, name)) return [name, obj[name]];
  }
  return [names[0]!, undefined];
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function list(obj: JsonObject, path: string, ...names: string[]): [string, unknown[]] {
  const [name, value] = field(obj, ...names);
  if (value === undefined || value === null) return [join(path, name), []];
  if (!Array.isArray(value)) {
    throw new JsonShapeError(`${join(path, name)}: expected an array, got ${kind(value)}`);
  }
  return [join(path, name), value];
}

function string(obj: JsonObject, path: string, ...names: string[]): string {
  const [name, value] = field(obj, ...names);
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    throw new JsonShapeError(`${path}.${name}: expected a string, got ${kind(value)}`);
  }
  return value;
}

/** Decodes base64 in any of its four spellings (standard/URL-safe, padded or not). */
export function decodeBase64Any(text: string): Uint8Array {
  let normalized = text.replaceAll("-", "+").replaceAll("_", "/");
  const rest = normalized.length % 4;
  if (rest === 1) throw new Error("invalid base64 length");
  if (rest !== 0 && !normalized.endsWith("=")) normalized += "=".repeat(4 - rest);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) throw new Error("invalid base64 character");
  const binary = atob(normalized);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeSample(value: unknown, path: string): RawSample {
  const sample = object(value, path);
  const [name, raw] = field(sample, "rawProfile", "raw_profile");
  let rawProfile: Uint8Array = new Uint8Array(0);
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== "string") {
      throw new JsonShapeError(`${path}.${name}: expected a base64 string, got ${kind(raw)}`);
    }
    try {
      rawProfile = decodeBase64Any(raw);
    } catch (error) {
      throw new JsonShapeError(`${path}.${name}: ${(error as Error).message}`);
    }
  }
  const id = string(sample, path, "ID", "id");
  return id ? { rawProfile, id } : { rawProfile };
}

/**
 * A label string, refused when it holds a lone surrogate (a `\ud800` escape): it has no UTF-8
 * form, and Go's protojson refuses it as invalid UTF-8.
 */
function wellFormed(pair: Record<string, unknown>, path: string, key: string): string {
  const text = string(pair, path, key);
  if (!text.isWellFormed()) {
    throw new JsonShapeError(`${path}.${key}: string field contains invalid UTF-8`);
  }
  return text;
}

function decodeSeries(value: unknown, path: string): DecodedPushSeries {
  const series = object(value, path);
  const labelPairs: [string, string][] = [];
  const [labelsPath, labels] = list(series, path, "labels");
  labels.forEach((label, i) => {
    const at = `${labelsPath}[${i}]`;
    const pair = object(label, at);
    labelPairs.push([wellFormed(pair, at, "name"), wellFormed(pair, at, "value")]);
  });
  const [samplesPath, rawSamples] = list(series, path, "samples");
  const samples = rawSamples.map((sample, i) => decodeSample(sample, `${samplesPath}[${i}]`));
  // `annotations` are discarded by the server (docs/spec/pyroscope-wire.md §2.1); other unknown fields are ignored.
  return { labelPairs, labels: LabelSet.from(labelPairs), samples };
}

/**
 * Decodes a JSON `PushRequest`. Throws an Error whose message starts with
 * `unmarshal message:` and names the offending path (e.g. `series[0].samples[1].rawProfile`);
 * `TooManySeriesError` when it has more than `maxSeries` series (before decoding any).
 */
export function decodePushJson(bytes: Uint8Array, maxSeries = Infinity): DecodedPushSeries[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const place = invalidUtf8Place(bytes);
    throw new Error(
      place === undefined
        ? "unmarshal message: request body is not valid UTF-8"
        : `unmarshal message: ${place}: string field contains invalid UTF-8`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`unmarshal message: invalid JSON: ${(error as Error).message}`);
  }
  try {
    const request = object(parsed, "request");
    const [seriesPath, series] = list(request, "", "series");
    if (series.length > maxSeries) throw new TooManySeriesError(maxSeries);
    return series.map((one, i) => decodeSeries(one, `${seriesPath}[${i}]`));
  } catch (error) {
    if (error instanceof JsonShapeError) throw new Error(`unmarshal message: ${error.message}`);
    throw error;
  }
}

/**
 * Where a body that is not valid UTF-8 goes wrong, for the error message: the first label
 * string holding a replacement character after a lenient decode — certain when the body has no
 * U+FFFD of its own (EF BF BD), which a client sending bad bytes does not have.
 */
function invalidUtf8Place(bytes: Uint8Array): string | undefined {
  const body = undefined;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) return body;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return body;
  }
  const series = (parsed as { series?: unknown })?.series;
  if (!Array.isArray(series)) return body;
  for (let i = 0; i < series.length; i++) {
    const labels = (series[i] as { labels?: unknown })?.labels;
    if (!Array.isArray(labels)) continue;
    for (let j = 0; j < labels.length; j++) {
      const pair = labels[j] as { name?: unknown; value?: unknown } | null;
      for (const key of ["name", "value"] as const) {
        const text = pair?.[key];
        if (typeof text === "string" && text.includes("\uFFFD")) {
          return `series[${i}].labels[${j}].${key}`;
        }
      }
    }
  }
  return body;
}
