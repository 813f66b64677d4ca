/**
 * Go's `strings.ToLower` / `strings.ToUpper`: each code point mapped on its own with Unicode's
 * simple mapping (spec relabel.md §9). JavaScript's full mappings turn `ß` into `SS` and
 * `ΣΑΣ` into `σας`, which Go never does.
 *
 * @example
 * ```ts
 * import { goToLower, goToUpper } from "./case.ts";
 * goToUpper("straße"); // "STRAßE"
 * goToLower("ΣΑΣ"); // "σασ"
 * ```
 * @module
 */

// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

const LOWER_SPECIAL: Readonly<Record<number, number>> = { 0x130: 0x69 };

function upperSpecial(cp: number): number | undefined {
  if (
    (cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) ||
    (cp >= 0x1fa0 && cp <= 0x1fa7)
  ) return cp + 8;
  if (cp === 0x1fb3) return 0x1fbc;
  if (cp === 0x1fc3) return 0x1fcc;
  if (cp === 0x1ff3) return 0x1ffc;
  return undefined;
}

function mapEach(text: string, upper: boolean): string {
  let out = "";
  for (const ch of text) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    // One code point in → exactly one out (a surrogate pair counts as one).
    if (mapped.length <= 2 && [...mapped].length === 1) {
      out += mapped;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    const special = upper ? upperSpecial(cp) : LOWER_SPECIAL[cp];
    out += special === undefined ? ch : String.fromCodePoint(special);
  }
  return out;
}

/** Lowercases as Go's `strings.ToLower` does. */
export function goToLower(text: string): string {
  return ASCII.test(text) ? text.toLowerCase() : mapEach(text, false);
}

/** Uppercases as Go's `strings.ToUpper` does. */
export function goToUpper(text: string): string {
  return ASCII.test(text) ? text.toUpperCase() : mapEach(text, true);
}
