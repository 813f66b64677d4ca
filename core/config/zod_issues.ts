/**
 * The one place zod issues become config messages: unknown keys with a "did you mean" hint,
 * missing settings, and type errors that name the expected type and the value found
 * (`Expected a boolean (true or false), got the string "yes"`). Built-in components and user
 * processor modules both go through here, so their messages read alike.
 *
 * @module
 */

import type { z } from "zod";
import { closest } from "./errors.ts";
import { describeExpected, describeValue, keysAt, schemaAt } from "./schema_walk.ts";

/** One described problem; `path` is relative to the value the schema checked. */
export interface DescribedIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** zod's own wording, which says what is wrong but not what was found. */
const ZOD_DEFAULT = /^Invalid (input|option)\b/;

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Turns one zod issue of `schema` checking `input` into config messages. */
export function describeZodIssue(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  input: unknown,
): DescribedIssue[] {
  const path = issue.path.map((p) => typeof p === "number" ? p : String(p));
  if (issue.code === "unrecognized_keys") {
    const known = keysAt(schema, path);
    return issue.keys.map((key) => {
      const hint = closest(key, known);
      const suffix = hint
        ? `; did you mean "${hint}"?`
        : known.length > 0
        ? `; valid keys: ${known.join(", ")}`
        : "";
      return { path: [...path, key], message: `Unknown key "${key}"${suffix}` };
    });
  }
  if (!["invalid_type", "invalid_union", "invalid_value"].includes(issue.code)) {
    return [{ path, message: issue.message }];
  }
  const found = valueAt(input, path);
  const expected = describeExpected(schemaAt(schema, path)) ??
    (issue.code === "invalid_type" ? `a ${issue.expected}` : undefined);
  if (found === undefined && issue.code === "invalid_type") {
    return [{ path, message: `Missing required setting (expected ${expected})` }];
  }
  if (ZOD_DEFAULT.test(issue.message)) {
    if (expected === undefined) return [{ path, message: issue.message }];
    return [{ path, message: `Expected ${expected}, got ${describeValue(found)}` }];
  }
  // The component's own wording: keep it, and say what was found when it does not.
  if (/\bgot\b/.test(issue.message)) return [{ path, message: issue.message }];
  return [{ path, message: `${issue.message}, got ${describeValue(found)}` }];
}
