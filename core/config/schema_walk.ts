/**
 * Reading component schemas (zod 4) without running them: the sub-schema at a config path,
 * whether a field is a duration or a byte size, and what a field expects in words. Used by
 * error messages (`Expected a boolean, got the string "yes"`), by `print-config` (durations and
 * byte sizes back in their written form) and by `main.ts schema` (JSON Schema patterns).
 *
 * @module
 */

import type { z } from "zod";
import { formatDuration } from "../duration.ts";

// deno-lint-ignore no-explicit-any
type AnySchema = any;

const WRAPPERS = [
  "default",
  "optional",
  "nullable",
  "prefault",
  "readonly",
  "catch",
  "nonoptional",
];

/** `schema` without default/optional/nullable/… wrappers and with a pipe's input side. */
export function unwrapSchema(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current: AnySchema = schema;
  for (let i = 0; i < 20 && current; i++) {
    const def = current._zod?.def;
    if (!def) break;
    if (WRAPPERS.includes(def.type)) current = def.innerType;
    else if (def.type === "pipe" && fieldKind(current) === undefined) current = def.in;
    else if (def.type === "lazy") current = def.getter();
    else break;
  }
  return current;
}

/** The sub-schema at `path` (object keys, list indexes, record values), best effort. */
export function schemaAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
): z.ZodType | undefined {
  let current: AnySchema = unwrapSchema(schema);
  for (const key of path) {
    const def = current?._zod?.def;
    if (!def) return undefined;
    if (def.type === "object") current = def.shape?.[key as string];
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "union") {
      current = def.options.map((option: z.ZodType) => schemaAt(option, [key])).find(Boolean);
    } else return undefined;
    current = unwrapSchema(current);
  }
  return current;
}

/** The object keys a schema accepts at `path` (for "did you mean"). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = (schemaAt(schema, path) as AnySchema)?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

/** A field written as a unit string: a duration (`15s`) or a byte size (`64MiB`). */
export type FieldKind = "duration" | "byte_size";

const kinds = new WeakMap<object, FieldKind | null>();

/**
 * Whether `schema` (after default/optional wrappers) is a duration or byte-size field. Found by
 * behaviour — a transform from text that reads `"1s"` as 1000 is a duration, one that reads
 * `"1KiB"` as 1024 is a byte size — so it holds for every helper that parses them.
 */
export function fieldKind(schema: z.ZodType | undefined): FieldKind | undefined {
  let current: AnySchema = schema;
  for (let i = 0; i < 20 && WRAPPERS.includes(current?._zod?.def?.type); i++) {
    current = current._zod.def.innerType;
  }
  const def = current?._zod?.def;
  if (def?.type !== "pipe" || !acceptsText(def.in)) return undefined;
  const known = kinds.get(current);
  if (known !== undefined) return known ?? undefined;
  const reads = (text: string) => {
    const result = (current as z.ZodType).safeParse(text);
    return result.success ? result.data : undefined;
  };
  const kind: FieldKind | null = reads("1s") === 1000
    ? "duration"
    : reads("1KiB") === 1024 && reads("1s") === undefined
    ? "byte_size"
    : null;
  kinds.set(current, kind);
  return kind ?? undefined;
}

function acceptsText(schema: AnySchema): boolean {
  const def = schema?._zod?.def;
  if (def?.type === "string") return true;
  if (def?.type === "union") return def.options.some(acceptsText);
  return false;
}

/** Formats a byte count with the largest binary unit that divides it (`67108864` → `64MiB`). */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** The written form of a parsed duration (ms) or byte size (bytes). */
export function formatField(kind: FieldKind, value: number): string {
  if (kind === "byte_size") return formatByteSize(value);
  // `2m0s` → `2m`, `24h0m0s` → `24h`: the short form a user writes.
  return formatDuration(value).replace(/([hm])0s$/, "$1").replace(/h0m$/, "h");
}

/** What a schema expects, in words: `a boolean`, `one of "http", "https"`, … */
export function describeExpected(schema: z.ZodType | undefined): string | undefined {
  const kind = fieldKind(schema);
  if (kind === "duration") return 'a duration string such as "15s"';
  if (kind === "byte_size") return 'a byte size such as "64MiB"';
  const def = (unwrapSchema(schema) as AnySchema)?._zod?.def;
  switch (def?.type) {
    case "string":
      return "a string";
    case "number":
      return def.format?.includes("int") ||
          def.checks?.some((c: AnySchema) => c?._zod?.def?.format?.includes?.("int"))
        ? "a whole number"
        : "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "a boolean (true or false)";
    case "object":
    case "record":
      return "a map";
    case "array":
    case "tuple":
      return "a list";
    case "enum":
      return `one of ${Object.values(def.entries).map((v) => JSON.stringify(v)).join(", ")}`;
    case "literal":
      return def.values.map((v: unknown) => JSON.stringify(v)).join(" or ");
    case "union": {
      const parts = def.options.map((o: z.ZodType) => describeExpected(o));
      if (parts.some((p: string | undefined) => p === undefined)) return undefined;
      return [...new Set(parts)].join(" or ");
    }
    default:
      return undefined;
  }
}

/** A value as found, in words: `the string "yes"`, `the number 15`, `a list`, … */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (typeof value === "object") return "a map";
  return String(value);
}
