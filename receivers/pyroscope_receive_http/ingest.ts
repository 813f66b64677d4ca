/**
 * `POST /ingest`: turns a legacy ingest request into an ingest item. The body and every query
 * parameter except `name` pass through untouched; what can be checked cheaply is checked so a
 * bad upload fails here, with a message, instead of at the server after queueing.
 *
 * @module
 */

import type { IngestItem } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import { HttpError } from "../../core/http/server.ts";
import { IngestNameError, parseIngestName } from "../../core/pyroscope_labels/mod.ts";
import { sniffProfile } from "../../pprof/sniff.ts";
import { validateProfileBytesInTurn } from "../../pprof/validate.ts";

/** Values of `format` the Pyroscope server understands (absent means folded text). */
export const INGEST_FORMATS: readonly string[] = [
  "trie",
  "tree",
  "lines",
  "jfr",
  "pprof",
  "speedscope",
];

/**
 * Spec §5.3 on the `/ingest` path: without `service_name`, the app name becomes
 * `service_name`; with one, the app name is kept as `app_name`.
 */
export function ensureServiceName(labels: LabelSet): LabelSet {
  const app = labels.get("__name__") ?? "";
  return labels.has("service_name")
    ? labels.with("app_name", app)
    : labels.with("service_name", app);
}

/** Labels from the `name` parameter (400 naming the parameter when absent or invalid). */
export function labelsFromQuery(url: URL): LabelSet {
  const name = url.searchParams.get("name");
  if (name === null || name === "") {
    throw new HttpError(
      400,
      "name: query parameter is required (e.g. name=myapp{env=prod})",
      "bad_name",
    );
  }
  // URLSearchParams turns bytes that are not UTF-8 into U+FFFD; the server refuses them.
  if (name.includes("\uFFFD") && !rawParamIsUtf8(url.search, "name")) {
    throw new HttpError(400, `name: ${invalidUtf8Part(name)} is not valid UTF-8`, "bad_name");
  }
  try {
    return ensureServiceName(parseIngestName(name));
  } catch (error) {
    if (error instanceof IngestNameError) {
      throw new HttpError(400, `name: ${error.message}`, "bad_name");
    }
    throw error;
  }
}

/** Which part of a `name` holds the replacement character, for the error message. */
function invalidUtf8Part(name: string): string {
  const brace = name.indexOf("{");
  if (name.slice(0, brace < 0 ? name.length : brace).includes("\uFFFD")) {
    return "the application name";
  }
  try {
    for (const [key, value] of parseIngestName(name)) {
      if (key.includes("\uFFFD") || value.includes("\uFFFD")) return `label ${JSON.stringify(key)}`;
    }
  } catch {
    // Not parseable as a name either: name the parameter.
  }
  return "the parameter";
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Whether every raw (percent-encoded) value of `key` in `search` decodes as UTF-8. */
function rawParamIsUtf8(search: string, key: string): boolean {
  for (const part of search.replace(/^\?/, "").split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq) !== key) continue;
    const raw = part.slice(eq + 1).replaceAll("+", " ");
    const bytes: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const hex = raw[i] === "%" ? raw.slice(i + 1, i + 3) : "";
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...encoder.encode(raw[i]!));
      }
    }
    try {
      strictUtf8.decode(new Uint8Array(bytes));
    } catch {
      return false;
    }
  }
  return true;
}

/** Every query parameter except `name`, in arrival order. */
export function queryWithoutName(url: URL): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of url.searchParams) if (key !== "name") out.push([key, value]);
  return out;
}

function bad(message: string, reason = "bad_body"): HttpError {
  return new HttpError(400, message, reason);
}

function notAProfile(message: string): HttpError {
  return new HttpError(422, message, "invalid_profile");
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Whether `body` contains `needle` (bytes), searching from the end (where it belongs). */
function endsWithDelimiter(body: Uint8Array, needle: Uint8Array): boolean {
  // The close delimiter may be followed by an epilogue; look at the last 4 KiB only.
  const from = Math.max(0, body.length - 4096 - needle.length);
  outer: for (let i = body.length - needle.length; i >= from; i--) {
    for (let j = 0; j < needle.length; j++) if (body[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function parseMultipart(body: Uint8Array, contentType: string): Promise<FormData> {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) {
    throw bad("multipart body: Content-Type has no boundary parameter");
  }
  // Deno's parser returns the parts it found in a cut-off body; a complete body ends with
  // the close delimiter, so its absence means truncation.
  if (!endsWithDelimiter(body, new TextEncoder().encode(`--${boundary}--`))) {
    throw bad("multipart body is malformed or truncated: no closing boundary");
  }
  try {
    return await new Response(body as BodyInit, { headers: { "content-type": contentType } })
      .formData();
  } catch (error) {
    throw bad(`multipart body is malformed or truncated: ${(error as Error).message}`);
  }
}

async function fileBytes(part: FormDataEntryValue | null): Promise<Uint8Array | undefined> {
  return part instanceof File ? new Uint8Array(await part.arrayBuffer()) : undefined;
}

/**
 * How profile bytes are checked: `full` gunzips (capped) and walks the protobuf structure, so
 * a truncated or bit-flipped profile is refused here; `sniff` only looks at the first bytes.
 * Resolves to why the bytes are not a profile, or `undefined`.
 */
export type ProfileCheck = (bytes: Uint8Array) => Promise<string | undefined>;

const sniffCheck: ProfileCheck = (bytes) => Promise.resolve(sniffProfile(bytes));

/**
 * The check for `validate_profiles` (true → full, false → sniff). The full check validates
 * profiles that inflate past 1 MiB one at a time, each in a turn of the event loop of its own
 * (`validateProfileBytesInTurn`), with the output capped at
 * `maxDecompressedBytes`: the work a gzip bomb costs before its verdict is bounded by the cap.
 */
export function profileCheck(full: boolean, maxDecompressedBytes: number): ProfileCheck {
  if (!full) return sniffCheck;
  return async (bytes) => {
    const problem = sniffProfile(bytes);
    if (problem !== undefined) return problem;
    return await validateProfileBytesInTurn(bytes, maxDecompressedBytes);
  };
}

async function checkPprofMultipart(form: FormData, check: ProfileCheck): Promise<void> {
  if (form.get("prev_profile") instanceof File) {
    throw bad(
      "multipart part prev_profile: unsupported client version (cumulative profiles with " +
        "prev_profile are not accepted by Pyroscope; upgrade the SDK)",
    );
  }
  const profile = await fileBytes(form.get("profile"));
  // An empty or missing profile part is accepted by the server as "nothing to store".
  if (profile !== undefined && profile.length > 0) {
    const problem = await check(profile);
    if (problem) throw notAProfile(`multipart part profile is not a pprof profile: ${problem}`);
  }
  const config = await fileBytes(form.get("sample_type_config"));
  if (config !== undefined && config.length > 0) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(config));
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error("expected a JSON object");
      }
    } catch (error) {
      throw bad(`multipart part sample_type_config is not valid JSON: ${(error as Error).message}`);
    }
  }
}

/**
 * Checks a body for its format (the server's selection order, docs/spec/pyroscope-wire.md §6.3). Throws
 * {@linkcode HttpError}: 400 for request shape problems, 422 for a body that is not a profile.
 */
export async function checkIngestBody(
  format: string | null,
  contentType: string,
  body: Uint8Array,
  check: ProfileCheck = sniffCheck,
): Promise<void> {
  if (format !== null && format !== "" && !INGEST_FORMATS.includes(format)) {
    throw bad(
      `format: unknown value ${JSON.stringify(format)}; expected one of ${
        INGEST_FORMATS.join(", ")
      } or none for folded text`,
      "bad_format",
    );
  }
  if (body.length === 0) throw bad("request body is empty", "empty_body");
  const lowerType = contentType.toLowerCase();
  const multipart = lowerType.includes("multipart/form-data");
  if (
    format === "trie" || format === "tree" || lowerType.startsWith("binary/octet-stream+trie") ||
    lowerType.startsWith("binary/octet-stream+tree") || format === "lines" ||
    format === "speedscope"
  ) {
    return;
  }
  if (format === "jfr") {
    if (!multipart) return;
    const form = await parseMultipart(body, contentType);
    if (!(form.get("jfr") instanceof File)) {
      throw bad("multipart body for format=jfr has no jfr file part");
    }
    return;
  }
  if (format === "pprof") {
    const problem = await check(body);
    if (problem) throw notAProfile(`format=pprof body is not a pprof profile: ${problem}`);
    return;
  }
  if (multipart) await checkPprofMultipart(await parseMultipart(body, contentType), check);
}

/** Builds the ingest item (labels already carry tenant and service_name). */
export function ingestItem(
  labels: LabelSet,
  url: URL,
  contentType: string | null,
  body: Uint8Array,
): IngestItem {
  return {
    kind: "ingest",
    labels,
    body,
    contentType: contentType === null ? [] : [contentType],
    query: queryWithoutName(url),
  };
}
