/**
 * Alloy values as profcol YAML wants them: literals as they are (a literal `${` escaped as
 * `$${`), `sys.env("X")` as `${env:X}`, `local.file.x.content` as `${file:PATH}`, blocks as maps
 * (lists where profcol takes a list). What cannot be carried over is left out with a warning.
 *
 * @module
 */

import type { AlloyIndex } from "./index.ts";
import {
  AlloySyntaxError,
  type Block,
  type Expr,
  type Position,
  type Statement,
} from "./parser.ts";

/** Reports a warning at a position. */
export type Warn = (pos: Position, message: string) => void;

/** `file:line`, as warnings and comments name a place. */
export const at = (p: Position): string => `${p.file}:${p.line}`;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Nested blocks that are lists in profcol even when written once. */
const LIST_BLOCKS = new Set(["endpoint", "rule", "selectors"]);

/** Components whose exports are secrets or files in Alloy, with how to give them to profcol. */
const REMOTE_HINTS: Readonly<Record<string, string>> = {
  "remote.kubernetes.secret": 'mount the Secret into the pod and use "${file:/path/to/key}", ' +
    'or pass it as an environment variable and use "${env:NAME}"',
  "remote.kubernetes.configmap": "mount the ConfigMap into the pod and use " +
    '"${file:/path/to/key}"',
  "remote.vault": 'write the secret to a file (e.g. the Vault agent) and use "${file:PATH}"',
  "remote.http": 'fetch it into a file and use "${file:PATH}"',
  "remote.s3": 'fetch it into a file and use "${file:PATH}"',
};

/** Escapes a literal string for profcol's `${…}` expansion. */
function literal(text: string): string {
  return text.replaceAll("${", () => "$${");
}

/** Reads values and block bodies of one set of indexed files. */
export class ValueReader {
  constructor(private readonly index: AlloyIndex, private readonly warn: Warn) {}

  /** A value as profcol YAML wants it; `undefined` leaves the key out. */
  value(expr: Expr, where: string): unknown {
    switch (expr.kind) {
      case "string":
        return literal(expr.value);
      case "number":
      case "bool":
        return expr.value;
      case "null":
        return undefined;
      case "list":
        return expr.items.map((item) => this.value(item, where)).filter((v) => v !== undefined);
      case "object": {
        const out: Record<string, unknown> = {};
        for (const entry of expr.entries) {
          const v = this.value(entry.value, `${where}.${entry.key}`);
          if (v !== undefined) out[entry.key] = v;
        }
        return out;
      }
      case "env":
        if (!ENV_NAME.test(expr.name)) {
          this.warn(
            expr.pos,
            `${where}: ${JSON.stringify(expr.name)} is not a valid variable name`,
          );
        }
        return `\${env:${expr.name}}`;
      case "concat": {
        let text = "";
        for (const part of expr.parts) {
          const v = this.value(part, where);
          if (typeof v === "number") text += String(v);
          else if (typeof v === "string") text += v;
          else {
            throw new AlloySyntaxError(
              part.pos,
              `${where}: only strings, numbers and sys.env() can be joined with +`,
            );
          }
        }
        return text;
      }
      case "ref":
        return this.#reference(expr, where);
    }
  }

  #reference(expr: Extract<Expr, { kind: "ref" }>, where: string): unknown {
    const found = this.index.resolve(expr.path);
    if (found && found.component.type === "local.file" && found.field === "content") {
      found.component.used = true;
      const filename = this.attribute(found.component.block, "filename");
      const path = filename ? this.value(filename.value, where) : undefined;
      if (typeof path === "string") return `\${file:${path}}`;
    }
    const remote = Object.keys(REMOTE_HINTS).find((type) =>
      expr.path.join(".").startsWith(`${type}.`)
    );
    if (remote) {
      this.warn(
        expr.pos,
        `${where}: ${remote} is not converted (profcol reads no Kubernetes or remote secrets ` +
          `at run time); ${REMOTE_HINTS[remote]}; left out`,
      );
      return undefined;
    }
    this.warn(
      expr.pos,
      `${where}: the reference ${expr.path.join(".")} cannot be converted; left out`,
    );
    return undefined;
  }

  /** A block body as a map: attributes, nested blocks (lists when repeated or listed). */
  body(
    statements: readonly Statement[],
    where: string,
    skip: ReadonlySet<string> = new Set(),
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const counts = new Map<string, number>();
    for (const s of statements) {
      if (s.kind === "block" && s.label === undefined) {
        counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
      }
    }
    for (const s of statements) {
      if (skip.has(s.name)) continue;
      if (s.kind === "attribute") {
        if (s.name in out) {
          this.warn(s.pos, `${where}.${s.name} is set twice; the last one is kept`);
        }
        const v = this.value(s.value, `${where}.${s.name}`);
        if (v !== undefined) out[s.name] = v;
        continue;
      }
      const inner = this.body(s.body, `${where}.${s.name}`);
      if (s.label !== undefined) {
        const map = (out[s.name] ??= {}) as Record<string, unknown>;
        map[s.label] = inner;
      } else if (LIST_BLOCKS.has(s.name) || (counts.get(s.name) ?? 0) > 1) {
        ((out[s.name] ??= []) as unknown[]).push(inner);
      } else {
        out[s.name] = inner;
      }
    }
    return out;
  }

  /** The attribute `name` of `block`, if set. */
  attribute(block: Block, name: string): Extract<Statement, { kind: "attribute" }> | undefined {
    return block.body.find((s): s is Extract<Statement, { kind: "attribute" }> =>
      s.kind === "attribute" && s.name === name
    );
  }

  /** The unlabelled nested block `name` of `block`, if any. */
  nested(block: Block, name: string): Block | undefined {
    return block.body.find((s): s is Block =>
      s.kind === "block" && s.name === name && s.label === undefined
    );
  }
}
