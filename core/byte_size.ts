/**
 * Byte sizes in configs (the field is `byteSizeField()` in `core/config/fields.ts`): a number
 * of bytes or a string with a unit (`512MiB`, `64KB`, `1GiB`,
 * `100B`; KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000).
 *
 * @example
 * ```ts
 * import { parseByteSize } from "./byte_size.ts";
 * parseByteSize("512MiB"); // 536870912
 * ```
 * @module
 */

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
