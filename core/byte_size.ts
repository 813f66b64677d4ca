/**
 * Byte sizes in configs: a number of bytes or a string with a unit (`512MiB`, `64KB`, `1GiB`,
 * `100B`; KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000).
 *
 * @example
 * ```ts
 * import { parseByteSize } from "./byte_size.ts";
 * parseByteSize("512MiB"); // 536870912
 * ```
 * @module
 */

import { z } from "zod";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses `512MiB`-style sizes into bytes; throws a message naming the value. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const factor = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new Error(`Expected a byte size such as 512MiB, 64KB or 1048576, got "${text}"`);
  }
  return Math.floor(Number(match[1]) * factor);
}

/** A zod schema for a byte size: a non-negative integer or a string with a unit. */
export function byteSize(): z.ZodType<number, string | number> {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === "number") {
      if (Number.isInteger(value) && value >= 0) return value;
      ctx.addIssue({ code: "custom", message: `Expected a byte size of 0 or more, got ${value}` });
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
