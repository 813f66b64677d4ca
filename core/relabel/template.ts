/**
 * Go `Regexp.Expand` template rules (spec relabel.md §6), compiled once per rule so expansion
 * at run time is a walk over prepared parts. JavaScript's `String.prototype.replace` syntax
 * differs (`$1x`, `$10`, `$&`, `$<n>`), so it is deliberately not used.
 *
 * @example
 * ```ts
 * import { compileTemplate, expandTemplate } from "./template.ts";
 * const template = compileTemplate("${1}x-$1x", { });
 * expandTemplate(template, "abc", [0, 3, 0, 1]); // "ax-"
 * ```
 * @module
 */

/** A prepared template: literal text and group references, in order. */
export interface Template {
  /** The template as written. */
  readonly source: string;
  /** Literal strings (`string`) and group indexes (`number`; -1 = a name no group has). */
  readonly parts: readonly (string | number)[];
  /** Whether the template has any group reference (otherwise it is the literal `parts[0]`). */
  readonly dynamic: boolean;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Length in UTF-16 units of the name that starts at `start` (letters, digits, `_`). */
function nameLength(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  return i - start;
}

/** Go's rule: only ASCII digits, no leading zero (except "0"), at most 9 digits. */
function groupNumber(name: string): number {
  if (name.length === 0 || name.length > 9 || !/^[0-9]+$/.test(name)) return -2;
  if (name.length > 1 && name[0] === "0") return -2;
  return Number(name);
}

/**
 * Prepares `source` for expansion. `names` maps group names to the first group index with
 * that name; `groupCount` is the number of capture groups (numbers above it expand to "").
 */
export function compileTemplate(
  source: string,
  names: Readonly<Record<string, number>>,
  groupCount = Number.MAX_SAFE_INTEGER,
): Template {
  const parts: (string | number)[] = [];
  let literal = "";
  let dynamic = false;
  let i = 0;
  while (i < source.length) {
    const dollar = source.indexOf("$", i);
    if (dollar < 0) {
      literal += source.slice(i);
      break;
    }
    literal += source.slice(i, dollar);
    const next = source[dollar + 1];
    if (next === "$") {
      literal += "$";
      i = dollar + 2;
      continue;
    }
    let name: string;
    let end: number;
    if (next === "{") {
      const start = dollar + 2;
      const length = nameLength(source, start);
      if (length === 0 || source[start + length] !== "}") {
        // Malformed: keep the "$" and rescan from the character after it.
        literal += "$";
        i = dollar + 1;
        continue;
      }
      name = source.slice(start, start + length);
      end = start + length + 1;
    } else {
      const start = dollar + 1;
      const length = nameLength(source, start);
      if (length === 0) {
        literal += "$";
        i = dollar + 1;
        continue;
      }
      name = source.slice(start, start + length);
      end = start + length;
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    const number = groupNumber(name);
    let index: number;
    if (number !== -2) index = number <= groupCount ? number : -1;
    else index = Object.hasOwn(names, name) ? names[name]! : -1;
    parts.push(index);
    dynamic = true;
    i = end;
  }
  if (literal !== "" || parts.length === 0) parts.push(literal);
  return { source, parts, dynamic };
}

/**
 * Expands `template` against a match of `input`. `offsets` holds start/end pairs per group
 * (group 0 first); a group that took no part has a negative start.
 */
export function expandTemplate(
  template: Template,
  input: string,
  offsets: ArrayLike<number>,
): string {
  const parts = template.parts;
  if (!template.dynamic) return parts[0] as string;
  let out = "";
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (typeof part === "string") {
      out += part;
      continue;
    }
    if (part < 0 || 2 * part + 1 >= offsets.length) continue;
    const start = offsets[2 * part]!;
    if (start < 0) continue;
    out += input.slice(start, offsets[2 * part + 1]!);
  }
  return out;
}
