/**
 * Relabel regexes with RE2 (Go) syntax and semantics via `re2js`: the user's text `R` is
 * compiled as `^(?s:R)$` exactly as Prometheus does (spec relabel.md §4), so matches are
 * anchored and `.` matches `\n`. Two shapes skip the regex engine because they are very common
 * and their result is known: the default `(.*)` and plain literals such as `dev`.
 *
 * @example
 * ```ts
 * import { compileRelabelRegex } from "./regex.ts";
 * const re = compileRelabelRegex("api-(.*)");
 * re.test("api-checkout"); // true
 * re.test("my-api-checkout"); // false (anchored)
 * ```
 * @module
 */

import { RE2JS } from "re2js";

/** A compiled relabel regex. Not safe for concurrent use; JavaScript never needs that. */
export interface RelabelRegex {
  /** The pattern as the user wrote it (without the added anchors). */
  readonly source: string;
  /** Number of capture groups. */
  readonly groupCount: number;
  /** Group name → index of the group with that name. */
  readonly names: Readonly<Record<string, number>>;
  /** Whether the regex matches `input` (Go `MatchString` on the anchored pattern). */
  test(input: string): boolean;
  /**
   * Match offsets (start/end per group, -1 for groups that took no part), or null. The array
   * is reused by the next call: read it before matching again.
   */
  exec(input: string): Int32Array | null;
}

/** Characters that are literal in RE2 outside a class and need no escaping. */
const LITERAL = /^[A-Za-z0-9_\-/ ,:=@!%'"<>~;#&]*$/;

/** Thrown for a pattern Go would reject; `message` starts with Go's `error parsing regexp:`. */
export class RelabelRegexError extends Error {
  override readonly name = "RelabelRegexError";
}

class MatchAll implements RelabelRegex {
  readonly source = "(.*)";
  readonly groupCount = 1;
  readonly names = Object.freeze({});
  readonly #offsets = new Int32Array(4);
  test(): boolean {
    return true;
  }
  exec(input: string): Int32Array {
    this.#offsets[1] = input.length;
    this.#offsets[3] = input.length;
    return this.#offsets;
  }
}

class Literal implements RelabelRegex {
  readonly groupCount = 0;
  readonly names = Object.freeze({});
  readonly #offsets = new Int32Array(2);
  constructor(readonly source: string) {}
  test(input: string): boolean {
    return input === this.source;
  }
  exec(input: string): Int32Array | null {
    if (input !== this.source) return null;
    this.#offsets[1] = input.length;
    return this.#offsets;
  }
}

/**
 * The literal text every match must start with, for a cheap pre-check (`__meta_(.+)` →
 * `__meta_`). Conservative: any `|` in the pattern disables it, and a literal followed by a
 * quantifier gives up its last character.
 */
export function literalPrefix(source: string): string {
  if (source.includes("|")) return "";
  const start = source.startsWith("^") ? 1 : 0;
  let end = start;
  while (end < source.length && LITERAL.test(source[end]!)) end++;
  if (end < source.length && "*?+{".includes(source[end]!)) end--;
  return end > start ? source.slice(start, end) : "";
}

class Re2Regex implements RelabelRegex {
  readonly groupCount: number;
  readonly #prefix: string;
  readonly names: Readonly<Record<string, number>>;
  readonly #re: RE2JS;
  readonly #offsets: Int32Array;
  // deno-lint-ignore no-explicit-any
  #matcher: any;

  constructor(readonly source: string) {
    try {
      this.#re = RE2JS.compile(`^(?s:${source})$`);
    } catch (error) {
      const message = (error as Error).message;
      throw new RelabelRegexError(
        message.startsWith("error parsing regexp") ? message : `error parsing regexp: ${message}`,
      );
    }
    this.groupCount = this.#re.groupCount();
    this.names = Object.freeze({ ...this.#re.namedGroups() });
    this.#offsets = new Int32Array(2 * (this.groupCount + 1));
    this.#matcher = this.#re.matcher("");
    this.#prefix = literalPrefix(source);
  }

  test(input: string): boolean {
    if (this.#prefix !== "" && !input.startsWith(this.#prefix)) return false;
    return this.#re.test(input);
  }

  exec(input: string): Int32Array | null {
    if (this.#prefix !== "" && !input.startsWith(this.#prefix)) return null;
    const matcher = this.#matcher;
    matcher.resetMatcherInput(input);
    if (!matcher.find()) return null;
    const offsets = this.#offsets;
    for (let group = 0; group <= this.groupCount; group++) {
      offsets[2 * group] = matcher.start(group);
      offsets[2 * group + 1] = matcher.end(group);
    }
    return offsets;
  }
}

/** `P(.*)S` or `P(.+)S` with literal `P` and `S`: a very common shape, matched by slicing. */
class AffixCapture implements RelabelRegex {
  readonly groupCount = 1;
  readonly names = Object.freeze({});
  readonly #offsets = new Int32Array(4);
  readonly #min: number;
  constructor(
    readonly source: string,
    readonly prefix: string,
    readonly suffix: string,
    nonEmpty: boolean,
  ) {
    this.#min = prefix.length + suffix.length + (nonEmpty ? 1 : 0);
  }
  test(input: string): boolean {
    return input.length >= this.#min && input.startsWith(this.prefix) &&
      input.endsWith(this.suffix);
  }
  exec(input: string): Int32Array | null {
    if (!this.test(input)) return null;
    const offsets = this.#offsets;
    offsets[1] = input.length;
    offsets[2] = this.prefix.length;
    offsets[3] = input.length - this.suffix.length;
    return offsets;
  }
}

const AFFIX = /^([A-Za-z0-9_\-/ ,:=@!%'"<>~;#&]*)\(\.([*+])\)([A-Za-z0-9_\-/ ,:=@!%'"<>~;#&]*)$/;

/** The shared default regex `(.*)`. */
export const DEFAULT_REGEX: RelabelRegex = new MatchAll();

/**
 * Compiles `source` with Go's syntax, anchored. Throws {@linkcode RelabelRegexError} with
 * Go's `error parsing regexp: …` message for patterns Go rejects. (One known difference:
 * RE2/J rejects duplicate group names, which Go accepts.)
 */
export function compileRelabelRegex(source: string): RelabelRegex {
  if (source === "(.*)") return new MatchAll();
  if (LITERAL.test(source)) return new Literal(source);
  const affix = AFFIX.exec(source);
  if (affix) return new AffixCapture(source, affix[1]!, affix[3]!, affix[2] === "+");
  return new Re2Regex(source);
}
