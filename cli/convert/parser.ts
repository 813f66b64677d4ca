/**
 * A recursive-descent parser of Grafana Alloy's configuration syntax (River) into an AST with
 * positions. Statements are attributes (`name = value`) and blocks (`a.b "label" { … }`, nested
 * to any depth). Values are the literals (strings, raw strings, numbers, `true`/`false`, `null`,
 * lists, objects with identifier or quoted keys), references (`pyroscope.write.x.receiver`),
 * `sys.env("X")` / `env("X")`, and `+` between those (string concatenation). Anything else
 * Alloy's expression language has — other functions, operators, indexing — is an
 * {@linkcode AlloySyntaxError} naming `file:line:col`, since `convert` cannot carry it over.
 *
 * @example
 * ```ts
 * import { parseAlloy } from "./parser.ts";
 * const body = parseAlloy('pyroscope.write "x" {\n  endpoint { url = sys.env("URL") }\n}\n', "a.alloy");
 * const block = body[0]!;
 * block.kind; // "block"
 * block.kind === "block" && block.name; // "pyroscope.write"
 * block.kind === "block" && block.label; // "x"
 * ```
 *
 * @module
 */

import { AlloySyntaxError, type Position, type Token, tokenize } from "./lexer.ts";

export { AlloySyntaxError, formatPosition, type Position } from "./lexer.ts";

/** A value expression. */
export type Expr =
  | { kind: "string"; value: string; pos: Position }
  | { kind: "number"; value: number; text: string; pos: Position }
  | { kind: "bool"; value: boolean; pos: Position }
  | { kind: "null"; pos: Position }
  | { kind: "list"; items: Expr[]; pos: Position }
  | { kind: "object"; entries: ObjectEntry[]; pos: Position }
  | { kind: "ref"; path: string[]; pos: Position }
  | { kind: "env"; name: string; pos: Position }
  | { kind: "concat"; parts: Expr[]; pos: Position };

/** One `key = value` of an object literal. */
export interface ObjectEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: Expr;
}

/** `name = value`. */
export interface Attribute {
  readonly kind: "attribute";
  readonly name: string;
  readonly value: Expr;
  readonly pos: Position;
}

/** `name "label" { body }`; `name` may be dotted (`pyroscope.scrape`, `profile.memory`). */
export interface Block {
  readonly kind: "block";
  readonly name: string;
  readonly label: string | undefined;
  readonly body: Statement[];
  readonly pos: Position;
  /** The block's source text, from its name to its closing brace. */
  readonly source: string;
}

/** A statement of a body. */
export type Statement = Attribute | Block;

const FUNCTIONS = new Set(["sys.env", "env"]);

function describe(token: Token): string {
  switch (token.kind) {
    case "eof":
      return "end of file";
    case "string":
      return `string ${JSON.stringify(token.value)}`;
    case "ident":
    case "number":
      return `${token.kind === "ident" ? "identifier" : "number"} ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

/** Parses one file; throws {@linkcode AlloySyntaxError}. */
export function parseAlloy(source: string, file: string): Statement[] {
  const tokens = tokenize(source, file);
  let at = 0;
  const peek = (ahead = 0): Token => tokens[Math.min(at + ahead, tokens.length - 1)]!;
  const next = (): Token => tokens[Math.min(at++, tokens.length - 1)]!;
  const fail = (token: Token, reason: string): never => {
    throw new AlloySyntaxError(token.pos, reason);
  };
  const expect = (kind: Token["kind"], what: string): Token => {
    const token = peek();
    if (token.kind !== kind) fail(token, `expected ${what}, got ${describe(token)}`);
    return next();
  };
  /** Token lines: attributes and blocks must start on a new line. */
  const lineOf = (token: Token) => token.pos.line;

  function body(closing: "}" | "eof"): Statement[] {
    const statements: Statement[] = [];
    let previous: Token | undefined;
    for (;;) {
      const token = peek();
      if (token.kind === closing) return statements;
      if (token.kind === "eof") fail(token, `expected "}", got end of file`);
      if (previous && lineOf(token) === lineOf(previous)) {
        fail(token, `expected a new line before ${describe(token)}`);
      }
      statements.push(statement());
      previous = tokens[at - 1];
    }
  }

  function statement(): Statement {
    const first = peek();
    if (first.kind !== "ident") {
      fail(first, `expected an attribute or a block name, got ${describe(first)}`);
    }
    const parts = [next().value];
    while (peek().kind === "." && peek(1).kind === "ident") {
      next();
      parts.push(next().value);
    }
    const name = parts.join(".");
    const after = peek();
    if (after.kind === "=") {
      if (parts.length > 1) {
        fail(first, `attribute names cannot contain "." (${name}); a block needs "{"`);
      }
      next();
      const value = expression();
      return { kind: "attribute", name, value, pos: first.pos };
    }
    let label: string | undefined;
    if (after.kind === "string") label = next().value;
    const open = peek();
    if (open.kind !== "{") {
      fail(
        open,
        label === undefined
          ? `expected "=" or "{" after ${name}, got ${describe(open)}`
          : `expected "{" after the block label, got ${describe(open)}`,
      );
    }
    next();
    const inner = body("}");
    const close = expect("}", '"}"');
    return {
      kind: "block",
      name,
      label,
      body: inner,
      pos: first.pos,
      source: source.slice(first.start, close.end),
    };
  }

  function expression(): Expr {
    const first = unary();
    const parts = [first];
    while (peek().kind === "+") {
      next();
      parts.push(unary());
    }
    const after = peek();
    if (after.kind === "operator" || after.kind === "-") {
      fail(
        after,
        `unsupported operator ${after.value}: convert carries over literals, component ` +
          `references, sys.env("NAME") and + between strings`,
      );
    }
    if (after.kind === "[" || after.kind === "(") {
      fail(after, `unsupported ${after.kind === "[" ? "indexing" : "call"} here`);
    }
    return parts.length === 1 ? first : { kind: "concat", parts, pos: first.pos };
  }

  function unary(): Expr {
    const token = peek();
    if (token.kind === "-" && peek(1).kind === "number") {
      next();
      const n = next();
      return {
        kind: "number",
        value: -Number(n.value.replaceAll("_", "")),
        text: `-${n.value}`,
        pos: token.pos,
      };
    }
    return primary();
  }

  function primary(): Expr {
    const token = next();
    switch (token.kind) {
      case "string":
        return { kind: "string", value: token.value, pos: token.pos };
      case "number":
        return {
          kind: "number",
          value: Number(token.value.replaceAll("_", "")),
          text: token.value,
          pos: token.pos,
        };
      case "[": {
        const items: Expr[] = [];
        while (peek().kind !== "]") {
          items.push(expression());
          if (peek().kind === ",") next();
          else if (peek().kind !== "]") {
            fail(peek(), `expected "," or "]", got ${describe(peek())}`);
          }
        }
        next();
        return { kind: "list", items, pos: token.pos };
      }
      case "{": {
        const entries: ObjectEntry[] = [];
        while (peek().kind !== "}") {
          const key = next();
          if (key.kind !== "ident" && key.kind !== "string") {
            fail(key, `expected an object key (a name or a quoted string), got ${describe(key)}`);
          }
          expect("=", `"=" after the key ${JSON.stringify(key.value)}`);
          entries.push({ key: key.value, keyPos: key.pos, value: expression() });
          if (peek().kind === ",") next();
          else if (peek().kind !== "}") {
            fail(peek(), `expected "," or "}", got ${describe(peek())}`);
          }
        }
        next();
        return { kind: "object", entries, pos: token.pos };
      }
      case "ident": {
        if (token.value === "true" || token.value === "false") {
          return { kind: "bool", value: token.value === "true", pos: token.pos };
        }
        if (token.value === "null") return { kind: "null", pos: token.pos };
        const path = [token.value];
        // `a.b.c` and `a.b.data["key"]` (a string index, e.g. remote.kubernetes.secret's data):
        // both are one reference path.
        for (;;) {
          const sameLine = peek().pos.line === tokens[at - 1]!.pos.line;
          if (peek().kind === "." && sameLine) {
            next();
            path.push(expect("ident", 'a name after "."').value);
          } else if (peek().kind === "[" && sameLine && peek(1).kind === "string") {
            next();
            path.push(next().value);
            expect("]", '"]" after the index');
          } else break;
        }
        if (peek().kind !== "(") return { kind: "ref", path, pos: token.pos };
        const name = path.join(".");
        if (!FUNCTIONS.has(name)) {
          fail(
            token,
            `unsupported function ${name}(): convert carries over literals, component ` +
              `references and sys.env("NAME")`,
          );
        }
        next();
        const argument = peek();
        if (argument.kind !== "string") {
          fail(argument, `${name}() needs one string literal, the variable name`);
        }
        next();
        if (peek().kind === ",") fail(peek(), `${name}() takes one argument`);
        expect(")", `")" after the argument of ${name}()`);
        return { kind: "env", name: argument.value, pos: token.pos };
      }
      default:
        return fail(token, `expected a value, got ${describe(token)}`);
    }
  }

  const statements = body("eof");
  return statements;
}
