/**
 * The legacy `name` query parameter of `POST /ingest` (docs/spec/pyroscope-wire.md §6.2): `app{k1=v1,k2=v2}`.
 * Parsed exactly like Pyroscope's `labelset.Parse`, lossy cases included, so that what
 * profcol forwards parses back on the server the same way it parsed here:
 *
 * - `app{a=b` loses `a` (the pair is never committed);
 * - `app{x}` yields no labels and no error (a key without `=` is dropped);
 * - a `,` in key state becomes part of the key (`app{a,b=c}` → key `a,b`, an error);
 * - a `}` seen while reading a key ends parsing; a `}` that ends a value returns to reading
 *   keys, so `app{a=b}c=d}` also yields `c=d` (and `app{a=b}{c=d}` fails on the key `{c`);
 * - values cannot hold `,` or `}` (no escaping); keys and values are trimmed;
 * - a key of exactly `__name__` skips validation and replaces the application name.
 *
 * @example
 * ```ts
 * import { formatIngestName, parseIngestName } from "./ingest_name.ts";
 * const labels = parseIngestName("myapp.cpu{env=prod, region = eu }");
 * labels.get("__name__"); // "myapp.cpu"
 * labels.get("region"); // "eu"
 * formatIngestName(labels); // "myapp.cpu{env=prod,region=eu}"
 * ```
 * @module
 */

import { LabelSet } from "../labels.ts";

/** Thrown by {@linkcode parseIngestName} for a `name` the server would reject. */
export class IngestNameError extends Error {
  override readonly name = "IngestNameError";
}

const NAME_LABEL = "__name__";

// The server's charsets: application names `[A-Za-z0-9_.\-/]+`, label names `[A-Za-z0-9_.]+`.
const APP_NAME = /^[A-Za-z0-9_.\-/]+$/;
const LABEL_NAME = /^[A-Za-z0-9_.]+$/;
const APP_NAME_CHARACTER = /^[A-Za-z0-9_.\-/]$/;
const LABEL_NAME_CHARACTER = /^[A-Za-z0-9_.]$/;

/** The first character of `text` that `allowed` refuses, for the error message. */
function badCharacter(text: string, allowed: RegExp): string | undefined {
  for (const ch of text) if (!allowed.test(ch)) return ch;
  return undefined;
}

/** Whether the server accepts `app` as the application name. */
export function isIngestAppName(app: string): boolean {
  return APP_NAME.test(app);
}

/** Whether `name=` can carry a label of this name. */
export function isIngestLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/**
 * Whether `name=` carries `value` back unchanged: no `,` or `}` (they end a value), no `{` or
 * `=` (kept out so a value never reads as a pair), no edge spaces (the server trims them).
 */
export function isIngestLabelValue(value: string): boolean {
  return !/[,}{=]/.test(value) && value.trim() === value;
}

/** App names: `[A-Za-z0-9_.\-/]`, non-empty (Pyroscope's messages, for familiarity). */
function checkAppName(app: string): void {
  if (app === "") throw new IngestNameError("service name is required");
  if (!isIngestAppName(app)) {
    const bad = badCharacter(app, APP_NAME_CHARACTER);
    throw new IngestNameError(`invalid service name: ${app}: character is not allowed: '${bad}'`);
  }
}

/** Label keys: `[A-Za-z0-9_.]`, non-empty; exactly `__name__` is exempt. */
function checkKey(key: string): void {
  if (key === NAME_LABEL) return;
  if (key === "") throw new IngestNameError("label name is required");
  if (!isIngestLabelName(key)) {
    const bad = badCharacter(key, LABEL_NAME_CHARACTER);
    throw new IngestNameError(`invalid label name: ${key}: character is not allowed: '${bad}'`);
  }
}

/**
 * Parses a legacy `name` into labels (`__name__` = the application name). A later duplicate
 * key wins and an empty value deletes the label, like the legacy `LabelSet.Add`. Throws
 * {@linkcode IngestNameError} naming the problem when the server would reject the name.
 */
export function parseIngestName(name: string): LabelSet {
  const input = name + "{";
  const pairs: [string, string][] = [];
  let state: "name" | "key" | "value" = "name";
  let start = 0;
  let key = "";
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (state === "name") {
      if (ch === "{") {
        const app = input.slice(0, i).trim();
        checkAppName(app);
        pairs.push([NAME_LABEL, app]);
        state = "key";
        start = i + 1;
      }
    } else if (state === "key") {
      // Only a `}` met in key state ends parsing; one that commits a value returns here.
      if (ch === "}") break;
      if (ch === "=") {
        key = input.slice(start, i);
        state = "value";
        start = i + 1;
      }
    } else if (ch === "," || ch === "}") {
      const trimmedKey = key.trim();
      checkKey(trimmedKey);
      pairs.push([trimmedKey, input.slice(start, i).trim()]);
      state = "key";
      start = i + 1;
    }
  }
  return LabelSet.from(pairs);
}

/**
 * The normalized form the server parses back to the same labels: the `__name__` value, then
 * `{`, then `k=v` pairs sorted by key (byte order) joined with `,`, then `}`. No escaping, as
 * in Pyroscope's `LabelSet.Normalized`.
 */
export function formatIngestName(labels: LabelSet): string {
  const names = labels.names;
  const values = labels.values;
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (names[i] === NAME_LABEL) continue;
    parts.push(`${names[i]}=${values[i]}`);
  }
  return `${labels.get(NAME_LABEL) ?? ""}{${parts.join(",")}}`;
}
