/**
 * The zod field builders every config uses for whole numbers, ports, strings, durations and
 * byte sizes, so one kind of setting behaves and reports the same in every component. Errors
 * are sentence-case and quote the value; the config loader prefixes the setting's path. A
 * value of the wrong type (a list where a duration goes) is worded by `zod_issues.ts`.
 *
 * @example
 * ```ts
 * import { byteSizeField, durationField, intField, nonEmptyString } from "./fields.ts";
 * intField({ min: 1 }).parse("4"); // 4 (YAML may quote numbers)
 * durationField().parse("1m30s"); // 90000 (milliseconds)
 * durationField().safeParse("15").success; // false: Cannot parse "15" as a duration: missing unit (e.g. 15s)
 * byteSizeField().parse("64MiB"); // 67108864
 * nonEmptyString().safeParse("").success; // false
 * ```
 * @module
 */

import { z } from "zod";
import { parseByteSize } from "../byte_size.ts";
import { formatDuration, parseDuration } from "../duration.ts";
import { describeValue } from "./schema_walk.ts";

/** A value as a user wrote it: strings quoted, numbers as is. */
function show(value: string | number): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Options of {@linkcode intField}. */
export interface IntFieldOptions {
  /** Smallest value accepted (inclusive). */
  readonly min?: number;
  /** Largest value accepted (inclusive). */
  readonly max?: number;
  /** What the value is, for the message; default `"a whole number"`. */
  readonly what?: string;
}

/**
 * A whole number within `[min, max]`. A string of digits is accepted too (YAML may quote a
 * number), so `"8080"` and `8080` are the same. Error: `Expected a whole number of 1 or more,
 * got "x"`.
 */
export function intField(options: IntFieldOptions = {}): z.ZodType<number, number | string> {
  const { min, max, what = "a whole number" } = options;
  const range = min !== undefined && max !== undefined
    ? ` from ${min} to ${max}`
    : min !== undefined
    ? ` of ${min} or more`
    : max !== undefined
    ? ` of at most ${max}`
    : "";
  const message = (value: string | number) => `Expected ${what}${range}, got ${show(value)}`;
  return z.union([z.number(), z.string()], {
    error: (issue) => `Expected ${what}${range}, got ${describeValue(issue.input)}`,
  }).transform((value, ctx) => {
    const text = typeof value === "string" ? value.trim() : "";
    const n = typeof value === "number" ? value : /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (
      Number.isSafeInteger(n) && (min === undefined || n >= min) &&
      (max === undefined || n <= max)
    ) {
      return n;
    }
    ctx.addIssue({ code: "custom", message: message(value) });
    return z.NEVER;
  }) as unknown as z.ZodType<number, number | string>;
}

/** A TCP port 0–65535 (0 picks a free port): `Expected a port number from 0 to 65535, got "x"`. */
export function portField(): z.ZodType<number, number | string> {
  return intField({ min: 0, max: 65535, what: "a port number" });
}

/**
 * A string: `Expected a string, got 5`. Stays a zod string check (issue `invalid_type`), so the
 * loader can fall back to the text of an `${env:...}` value it had turned into a number.
 */
export function stringField(): z.ZodString {
  return z.string();
}

/** A string of at least one character: `Expected a non-empty string, got ""`. */
export function nonEmptyString(): z.ZodString {
  return stringField().min(1, 'Expected a non-empty string, got ""');
}

/** Options of {@linkcode durationField}. */
export interface DurationFieldOptions {
  /** Whether `0` / `0s` is accepted; default true. */
  readonly allowZero?: boolean;
  /** Whether `-5s` is accepted; default false. */
  readonly allowNegative?: boolean;
}

/**
 * A Go duration (`500ms`, `1m30s`, `2h`) parsed to milliseconds. A bare number is refused
 * (`Cannot parse "15" as a duration: missing unit (e.g. 15s)`), except 0, as in Go; negative
 * durations only with `allowNegative`, zero unless `allowZero: false`.
 */
export function durationField(
  options: DurationFieldOptions = {},
): z.ZodType<number, string | number> {
  const { allowZero = true, allowNegative = false } = options;
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    let ms: number;
    try {
      ms = value === 0 ? 0 : parseDuration(String(value));
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
    const text = typeof value === "string" ? value.trim() : formatDuration(ms);
    if (ms < 0 && !allowNegative) {
      ctx.addIssue({
        code: "custom",
        message: `Expected a duration of ${allowZero ? "0s or more" : "more than 0s"}, got ${
          JSON.stringify(text)
        }`,
      });
      return z.NEVER;
    }
    if (ms === 0 && !allowZero) {
      ctx.addIssue({
        code: "custom",
        message: `Expected a duration of more than 0s, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return ms;
  }) as unknown as z.ZodType<number, string | number>;
}

const BYTE_SIZE_HINT = "Expected a byte size such as 512MiB, 64KB or 1048576";

/**
 * A byte size: a whole number of bytes (0 or more) or a string with a unit (`512MiB`, `64KB`,
 * `1GiB`, `100B`; KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000). Error: `Expected a byte
 * size such as 512MiB, 64KB or 1048576, got "lots"`.
 */
export function byteSizeField(): z.ZodType<number, string | number> {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === "number") {
      if (Number.isSafeInteger(value) && value >= 0) return value;
      ctx.addIssue({ code: "custom", message: `${BYTE_SIZE_HINT}, got ${value}` });
      return z.NEVER;
    }
    try {
      return parseByteSize(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }) as unknown as z.ZodType<number, string | number>;
}
