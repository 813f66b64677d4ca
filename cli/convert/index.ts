/**
 * The converter's first stage: every top-level Alloy block, by `type.label` (the prefix of the
 * references to it), in file order, and how a reference path resolves to one of them.
 *
 * @module
 */

import { AlloySyntaxError, type Block, type Statement } from "./parser.ts";
import { at, type Warn } from "./values.ts";

/** One top-level block. `used` is set when something converted draws on it. */
export interface Component {
  readonly type: string;
  /** `""` for an unlabelled block. */
  readonly label: string;
  readonly block: Block;
  /** `type.label`, `""` for an unlabelled block. */
  readonly key: string;
  used: boolean;
}

/** The indexed blocks of all input files. */
export interface AlloyIndex {
  /** Every block in file order, labelled or not (except `logging`). */
  readonly order: readonly Component[];
  /** The top-level `logging` block, if any. */
  readonly logging: Block | undefined;
  /** The component a reference points into, and the export named after it. */
  resolve(path: readonly string[]): { component: Component; field: string } | undefined;
}

/** Indexes `statements`; a component defined twice is a syntax error. */
export function indexStatements(statements: readonly Statement[], warn: Warn): AlloyIndex {
  const byKey = new Map<string, Component>();
  const order: Component[] = [];
  let logging: Block | undefined;
  for (const statement of statements) {
    if (statement.kind === "attribute") {
      warn(statement.pos, `top-level attribute ${statement.name} is not converted`);
      continue;
    }
    if (statement.name === "logging" && statement.label === undefined) {
      logging = statement;
      continue;
    }
    const label = statement.label ?? "";
    const key = label === "" ? "" : `${statement.name}.${label}`;
    const existing = key === "" ? undefined : byKey.get(key);
    if (existing) {
      throw new AlloySyntaxError(
        statement.pos,
        `${statement.name} "${label}" is already defined at ${at(existing.block.pos)}`,
      );
    }
    const component: Component = {
      type: statement.name,
      label,
      block: statement,
      key,
      used: false,
    };
    if (key !== "") byKey.set(key, component);
    order.push(component);
  }
  return {
    order,
    logging,
    resolve(path) {
      for (let k = path.length - 1; k >= 2; k--) {
        const component = byKey.get(path.slice(0, k).join("."));
        if (component) return { component, field: path.slice(k).join(".") };
      }
      return undefined;
    },
  };
}
