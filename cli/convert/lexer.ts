/**
 * The lexer of Grafana Alloy's configuration syntax (River): identifiers, strings with Go
 * escapes, raw strings in backticks, numbers, punctuation and operators, with `//`, `/* *\/`
 * and `#` comments skipped. Every token carries its 1-based line and column; every mistake is
 * an {@linkcode AlloySyntaxError} naming `file:line:col`.
 *
 * @example
 * ```ts
 * import { tokenize } from "./lexer.ts";
 * const tokens = tokenize('a = "x\\ty" // comment', "a.alloy");
 * tokens.map((t) => t.kind); // ["ident", "=", "string", "eof"]
 * tokens[2]!.value; // "x\ty"
 * ```
 *
 * @module
 */

/** A position in a file (1-based line and column, counted in characters). */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A syntax (or unsupported-expression) error at a position; `message` starts with `file:line:col:`. */
export class AlloySyntaxError extends Error {
  override readonly name = "AlloySyntaxError";
  constructor(readonly position: Position, readonly reason: string) {
    super(`${formatPosition(position)}: ${reason}`);
  }
}

/** `file:line:col`. */
export function formatPosition(p: Position): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** Token kinds: punctuation and operators are their own text. */
export type TokenKind =
  | "ident"
  | "string"
  | "number"
  | "eof"
  | "{"
  | "}"
  | "["
  | "]"
  | "("
  | ")"
  | ","
  | "."
  | "="
  | "+"
  | "-"
  | "operator";

/** One token. `value` is the decoded string for strings, the source text otherwise. */
export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  readonly pos: Position;
  /** Offset of the first and after the last character in the source. */
  readonly start: number;
  readonly end: number;
}

const SINGLE = new Set(["{", "}", "[", "]", "(", ")", ",", ".", "+", "-"]);
const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "*", "/", "%", "^", "<", ">", "!", "?", ":"];

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
};

/** Splits `source` into tokens, ending with an `eof` token; throws {@linkcode AlloySyntaxError}. */
export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const posAt = (offset: number): Position => ({ file, line, col: offset - lineStart + 1 });
  const fail = (offset: number, reason: string): never => {
    throw new AlloySyntaxError(posAt(offset), reason);
  };
  const newline = (offset: number) => {
    line++;
    lineStart = offset + 1;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === "\n") {
      newline(i);
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#" || (c === "/" && source[i + 1] === "/")) {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const start = i;
      const startPos = posAt(start);
      i += 2;
      while (i < source.length && !(source[i] === "*" && source[i + 1] === "/")) {
        if (source[i] === "\n") newline(i);
        i++;
      }
      if (i >= source.length) {
        throw new AlloySyntaxError(startPos, "comment not terminated (missing */)");
      }
      i += 2;
      continue;
    }
    const start = i;
    const pos = posAt(i);
    if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      tokens.push({ kind: "ident", value: source.slice(start, i), pos, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < source.length && /[0-9_]/.test(source[i]!)) i++;
      if (source[i] === "." && /[0-9]/.test(source[i + 1] ?? "")) {
        i++;
        while (i < source.length && /[0-9_]/.test(source[i]!)) i++;
      }
      if (source[i] === "e" || source[i] === "E") {
        let j = i + 1;
        if (source[j] === "+" || source[j] === "-") j++;
        if (!/[0-9]/.test(source[j] ?? "")) fail(j, "malformed number: expected digits after e");
        i = j;
        while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      }
      if (/[A-Za-z_]/.test(source[i] ?? "")) {
        fail(i, `malformed number ${JSON.stringify(source.slice(start, i + 1))}`);
      }
      tokens.push({ kind: "number", value: source.slice(start, i), pos, start, end: i });
      continue;
    }
    if (c === '"') {
      i++;
      let value = "";
      for (;;) {
        if (i >= source.length || source[i] === "\n") {
          throw new AlloySyntaxError(pos, "string literal not terminated");
        }
        const d = source[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d !== "\\") {
          value += d;
          i++;
          continue;
        }
        const escapeAt = i;
        const e = source[i + 1];
        if (e === undefined) throw new AlloySyntaxError(pos, "string literal not terminated");
        if (e in SIMPLE_ESCAPES) {
          value += SIMPLE_ESCAPES[e];
          i += 2;
          continue;
        }
        const hexLength = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
        if (hexLength > 0) {
          const digits = source.slice(i + 2, i + 2 + hexLength);
          if (digits.length !== hexLength || !/^[0-9A-Fa-f]+$/.test(digits)) {
            fail(escapeAt, `escape sequence \\${e} needs ${hexLength} hexadecimal digits`);
          }
          const code = parseInt(digits, 16);
          if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) {
            fail(escapeAt, `escape sequence \\${e}${digits} is not a valid Unicode code point`);
          }
          value += String.fromCodePoint(code);
          i += 2 + hexLength;
          continue;
        }
        if (/[0-7]/.test(e)) {
          const digits = source.slice(i + 1, i + 4);
          if (!/^[0-7]{3}$/.test(digits)) fail(escapeAt, "octal escape needs 3 digits (\\ooo)");
          const code = parseInt(digits, 8);
          if (code > 255) fail(escapeAt, `octal escape \\${digits} is above \\377`);
          value += String.fromCodePoint(code);
          i += 4;
          continue;
        }
        fail(escapeAt, `unknown escape sequence \\${e === "\n" ? "<newline>" : e}`);
      }
      tokens.push({ kind: "string", value, pos, start, end: i });
      continue;
    }
    if (c === "`") {
      i++;
      const valueStart = i;
      while (i < source.length && source[i] !== "`") {
        if (source[i] === "\n") newline(i);
        i++;
      }
      if (i >= source.length) throw new AlloySyntaxError(pos, "raw string literal not terminated");
      const value = source.slice(valueStart, i).replaceAll("\r", "");
      i++;
      tokens.push({ kind: "string", value, pos, start, end: i });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (OPERATORS.includes(two)) {
      i += 2;
      tokens.push({ kind: "operator", value: two, pos, start, end: i });
      continue;
    }
    if (c === "=") {
      i++;
      tokens.push({ kind: "=", value: c, pos, start, end: i });
      continue;
    }
    if (SINGLE.has(c)) {
      i++;
      tokens.push({ kind: c as TokenKind, value: c, pos, start, end: i });
      continue;
    }
    if (OPERATORS.includes(c)) {
      i++;
      tokens.push({ kind: "operator", value: c, pos, start, end: i });
      continue;
    }
    fail(i, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: "eof", value: "", pos: posAt(i), start: i, end: i });
  return tokens;
}
