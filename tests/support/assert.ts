/**
 * The test suite's one set of assertions (`@std/assert` is not reachable here). Test-only.
 *
 * {@linkcode assertEquals} is a structural deep equality with `node:assert` `deepStrictEqual`
 * semantics, plus one extension: an object with a `[equalityState]()` method (see
 * `core/equality.ts`) is compared by what that method returns, so classes whose state lives in
 * private `#fields` (such as `LabelSet`) are compared by that state rather than passing
 * vacuously. A failure names the path of the first difference and both values there.
 *
 * @module
 */

import { show } from "./show.ts";
import { equalityState } from "../../core/equality.ts";

/** Thrown by every assertion here. */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

/** Throws when `condition` is falsy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** The first difference found: where, why, and the two values there. */
interface Difference {
  path: string;
  reason: string;
  actual: unknown;
  expected: unknown;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function keyPath(key: string | symbol): string {
  if (typeof key === "symbol") return `[${key.toString()}]`;
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "bigint") return `${key}n`;
  if (typeof key === "object" && key !== null || typeof key === "function") return show(key);
  return String(key);
}

function protoName(value: object): string {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return "null prototype";
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "anonymous prototype";
}

function ownEnumerableKeys(value: object): (string | symbol)[] {
  const keys: (string | symbol)[] = Object.keys(value);
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

function isArrayIndex(key: string | symbol, length: number): boolean {
  if (typeof key !== "string") return false;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < length && String(n) === key;
}

type Pairs = Map<object, Set<object>>;

/**
 * Structural comparison with `deepStrictEqual` semantics; returns the first difference or
 * `undefined` when equal. `inProgress` holds the pairs being compared up the stack: meeting
 * one again (a cycle) counts as equal for that branch.
 */
function compare(
  actual: unknown,
  expected: unknown,
  path: string,
  inProgress: Pairs,
): Difference | undefined {
  if (Object.is(actual, expected)) return undefined;
  const differ = (reason: string): Difference => ({ path, reason, actual, expected });
  if (
    typeof actual !== "object" || actual === null || typeof expected !== "object" ||
    expected === null
  ) {
    return differ(
      typeof actual === typeof expected ? "not the same value (Object.is)" : "different types",
    );
  }
  const a = actual as object;
  const b = expected as object;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    return differ(`different prototypes (${protoName(a)} vs ${protoName(b)})`);
  }
  const tagA = Object.prototype.toString.call(a);
  const tagB = Object.prototype.toString.call(b);
  if (tagA !== tagB) return differ(`different kinds (${tagA} vs ${tagB})`);

  let partners = inProgress.get(a);
  if (partners?.has(b)) return undefined;
  if (!partners) inProgress.set(a, partners = new Set());
  partners.add(b);
  try {
    return compareObjects(a, b, path, inProgress, differ);
  } finally {
    partners.delete(b);
    if (partners.size === 0) inProgress.delete(a);
  }
}

function compareObjects(
  a: object,
  b: object,
  path: string,
  inProgress: Pairs,
  differ: (reason: string) => Difference,
): Difference | undefined {
  // Private state exposed through the equality hook (same prototype already required).
  const hookA = (a as { [equalityState]?: unknown })[equalityState];
  if (typeof hookA === "function") {
    const hookB = (b as { [equalityState]?: unknown })[equalityState] as () => unknown;
    return compare(
      hookA.call(a),
      hookB.call(b),
      `${path}⟨${protoName(a)} state⟩`,
      inProgress,
    );
  }

  if (ArrayBuffer.isView(a)) {
    const viewA = a as ArrayBufferView;
    const viewB = b as ArrayBufferView;
    if (viewA instanceof DataView) {
      return compareBytes(
        new Uint8Array(viewA.buffer, viewA.byteOffset, viewA.byteLength),
        new Uint8Array(viewB.buffer, viewB.byteOffset, viewB.byteLength),
        path,
        a,
        b,
      );
    }
    const arrA = a as unknown as ArrayLike<unknown>;
    const arrB = b as unknown as ArrayLike<unknown>;
    if (arrA.length !== arrB.length) {
      return differ(`different lengths (${arrA.length} vs ${arrB.length})`);
    }
    for (let i = 0; i < arrA.length; i++) {
      if (!Object.is(arrA[i], arrB[i])) {
        return {
          path: `${path}[${i}]`,
          reason: "different elements",
          actual: arrA[i],
          expected: arrB[i],
        };
      }
    }
    return compareKeys(a, b, path, inProgress, arrA.length);
  }
  if (a instanceof ArrayBuffer || a instanceof SharedArrayBuffer) {
    return compareBytes(
      new Uint8Array(a as ArrayBuffer),
      new Uint8Array(b as ArrayBuffer),
      path,
      a,
      b,
    );
  }
  if (Array.isArray(a)) {
    const arrB = b as unknown[];
    if (a.length !== arrB.length) {
      return differ(`different lengths (${a.length} vs ${arrB.length})`);
    }
    for (let i = 0; i < a.length; i++) {
      const inA = i in a;
      const inB = i in arrB;
      if (inA !== inB) {
        return {
          path: `${path}[${i}]`,
          reason: inA ? "a hole in expected only" : "a hole in actual only",
          actual: inA ? a[i] : "<hole>",
          expected: inB ? arrB[i] : "<hole>",
        };
      }
      const d = compare(a[i], arrB[i], `${path}[${i}]`, inProgress);
      if (d) return d;
    }
    return compareKeys(a, b, path, inProgress, a.length);
  }
  if (a instanceof Date) {
    const timeA = a.getTime();
    const timeB = (b as Date).getTime();
    if (!Object.is(timeA, timeB)) return differ("different times");
  } else if (a instanceof RegExp) {
    const reB = b as RegExp;
    if (a.source !== reB.source || a.flags !== reB.flags || a.lastIndex !== reB.lastIndex) {
      return differ("different regular expressions");
    }
  } else if (
    a instanceof Number || a instanceof String || a instanceof Boolean ||
    a instanceof BigInt || a instanceof Symbol
  ) {
    if (!Object.is(a.valueOf(), (b as typeof a).valueOf())) {
      return differ("different boxed values");
    }
  } else if (a instanceof Error) {
    const errB = b as Error;
    if (a.name !== errB.name) {
      return {
        path: `${path}.name`,
        reason: "different error names",
        actual: a.name,
        expected: errB.name,
      };
    }
    if (a.message !== errB.message) {
      return {
        path: `${path}.message`,
        reason: "different error messages",
        actual: a.message,
        expected: errB.message,
      };
    }
    if ("cause" in a || "cause" in errB) {
      const d = compare(a.cause, errB.cause, `${path}.cause`, inProgress);
      if (d) return d;
    }
  } else if (a instanceof Map) {
    const d = compareMaps(a, b as Map<unknown, unknown>, path, inProgress, differ);
    if (d) return d;
  } else if (a instanceof Set) {
    const d = compareSets(a, b as Set<unknown>, path, inProgress, differ);
    if (d) return d;
  } else if (
    a instanceof WeakMap || a instanceof WeakSet || a instanceof Promise ||
    typeof a === "function"
  ) {
    return differ("different identities (not comparable by content)");
  } else if (isOpaque(a) && isOpaque(b)) {
    // Two instances of a class whose state is private (#fields) and that offer no equality hook
    // look alike to a key walk whatever they hold: refuse rather than call them equal.
    return differ(
      `the state of two ${protoName(a)} objects cannot be seen (no own keys, no ` +
        "[equalityState]() hook): compare what matters, or give the class the hook",
    );
  }
  return compareKeys(a, b, path, inProgress, 0);
}

/** Not a plain object, and without own enumerable keys: its state, if any, is hidden. */
function isOpaque(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return false;
  return ownEnumerableKeys(value).length === 0;
}

function compareBytes(
  bytesA: Uint8Array,
  bytesB: Uint8Array,
  path: string,
  a: object,
  b: object,
): Difference | undefined {
  if (bytesA.length !== bytesB.length) {
    return {
      path,
      reason: `different byte lengths (${bytesA.length} vs ${bytesB.length})`,
      actual: a,
      expected: b,
    };
  }
  for (let i = 0; i < bytesA.length; i++) {
    if (bytesA[i] !== bytesB[i]) {
      return {
        path: `${path}<byte ${i}>`,
        reason: "different bytes",
        actual: bytesA[i],
        expected: bytesB[i],
      };
    }
  }
  return undefined;
}

/** Own enumerable string and symbol keys (array indices below `skipIndexBelow` excluded). */
function compareKeys(
  a: object,
  b: object,
  path: string,
  inProgress: Pairs,
  skipIndexBelow: number,
): Difference | undefined {
  const keep = (key: string | symbol) => !isArrayIndex(key, skipIndexBelow);
  const keysA = ownEnumerableKeys(a).filter(keep);
  const keysB = ownEnumerableKeys(b).filter(keep);
  const setB = new Set(keysB);
  for (const key of keysA) {
    if (!setB.has(key)) {
      return {
        path: `${path}${keyPath(key)}`,
        reason: "key present in actual only",
        actual: (a as Record<string | symbol, unknown>)[key],
        expected: "<absent>",
      };
    }
  }
  if (keysA.length !== keysB.length) {
    const setA = new Set(keysA);
    const key = keysB.find((k) => !setA.has(k))!;
    return {
      path: `${path}${keyPath(key)}`,
      reason: "key present in expected only",
      actual: "<absent>",
      expected: (b as Record<string | symbol, unknown>)[key],
    };
  }
  for (const key of keysA) {
    const d = compare(
      (a as Record<string | symbol, unknown>)[key],
      (b as Record<string | symbol, unknown>)[key],
      `${path}${keyPath(key)}`,
      inProgress,
    );
    if (d) return d;
  }
  return undefined;
}

function isObjectLike(value: unknown): value is object {
  return typeof value === "object" && value !== null || typeof value === "function";
}

function compareMaps(
  a: Map<unknown, unknown>,
  b: Map<unknown, unknown>,
  path: string,
  inProgress: Pairs,
  differ: (reason: string) => Difference,
): Difference | undefined {
  if (a.size !== b.size) return differ(`different Map sizes (${a.size} vs ${b.size})`);
  // Object keys of `b` not matched by identity, available for deep matching.
  const looseB: unknown[] = [];
  for (const key of b.keys()) if (isObjectLike(key) && !a.has(key)) looseB.push(key);
  for (const [key, valueA] of a) {
    const at = `${path}[Map key ${describeKey(key)}]`;
    if (b.has(key)) {
      const d = compare(valueA, b.get(key), at, inProgress);
      if (d) return d;
      continue;
    }
    const index = isObjectLike(key)
      ? looseB.findIndex((k) =>
        !compare(key, k, at, inProgress) && !compare(valueA, b.get(k), at, inProgress)
      )
      : -1;
    if (index < 0) {
      return {
        path: at,
        reason: "Map key absent from expected",
        actual: valueA,
        expected: "<absent>",
      };
    }
    looseB.splice(index, 1);
  }
  return undefined;
}

function compareSets(
  a: Set<unknown>,
  b: Set<unknown>,
  path: string,
  inProgress: Pairs,
  differ: (reason: string) => Difference,
): Difference | undefined {
  if (a.size !== b.size) return differ(`different Set sizes (${a.size} vs ${b.size})`);
  const looseB: unknown[] = [];
  for (const member of b) if (isObjectLike(member) && !a.has(member)) looseB.push(member);
  for (const member of a) {
    if (b.has(member)) continue;
    const index = isObjectLike(member)
      ? looseB.findIndex((m) => !compare(member, m, path, inProgress))
      : -1;
    if (index < 0) {
      return {
        path: `${path}[Set member ${describeKey(member)}]`,
        reason: "Set member absent from expected",
        actual: member,
        expected: "<absent>",
      };
    }
    looseB.splice(index, 1);
  }
  return undefined;
}

/**
 * The first structural difference between `actual` and `expected` as text (path, reason, both
 * values), or `undefined` when they are deep-strict-equal.
 */
export function findDifference(actual: unknown, expected: unknown): string | undefined {
  const d = compare(actual, expected, "actual", new Map());
  if (!d) return undefined;
  const expectedPath = "expected" + d.path.slice("actual".length);
  return `values differ at ${d.path} (${d.reason})\n` +
    `  ${d.path}: ${show(d.actual)}\n` +
    `  ${expectedPath}: ${show(d.expected)}`;
}

/** Whether `actual` and `expected` are deep-strict-equal (see {@linkcode assertEquals}). */
export function deepEquals(actual: unknown, expected: unknown): boolean {
  return compare(actual, expected, "actual", new Map()) === undefined;
}

/**
 * Structural deep equality with `node:assert` `deepStrictEqual` semantics: `Object.is` for
 * primitives; same prototype; typed arrays, DataView and ArrayBuffer by type, length and every
 * element; arrays by length and every element (holes distinct from `undefined`); Map keys by
 * SameValueZero (object keys also deeply) and values deeply; Set members likewise; Date,
 * RegExp, boxed primitives, Error (name, message, cause); other objects by own enumerable
 * string and symbol keys; cycles handled. Objects with a `[equalityState]()` method are
 * compared by what it returns.
 */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  const difference = findDifference(actual, expected);
  if (difference !== undefined) {
    throw new AssertionError(`${message ? message + ": " : ""}${difference}`);
  }
}

/** Throws when `actual` and `expected` are deep-strict-equal. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  if (deepEquals(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected values to differ, both are ${show(actual)}`,
    );
  }
}

/** `Object.is(actual, expected)` (as `node:assert` `strictEqual`). */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  if (!Object.is(actual, expected)) {
    const hint = deepEquals(actual, expected) ? " (deep-equal, but not the same value)" : "";
    throw new AssertionError(
      `${message ? message + ": " : ""}values are not identical${hint}\n` +
        `  actual:   ${show(actual)}\n  expected: ${show(expected)}`,
    );
  }
}

/** Throws when `text` does not contain `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (typeof text !== "string" || !text.includes(part)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(text)} to include ${show(part)}`,
    );
  }
}

/** Throws when `text` does not match `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  if (typeof text !== "string" || !pattern.test(text)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(text)} to match ${pattern}`,
    );
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

function checkError(
  error: unknown,
  type: ErrorClass | undefined,
  includes: string | RegExp | undefined,
  message: string | undefined,
): Error {
  const prefix = message ? message + ": " : "";
  if (!(error instanceof (type ?? Error))) {
    throw new AssertionError(
      `${prefix}expected ${type?.name ?? "an Error"} to be thrown, got ${show(error)}`,
      { cause: error },
    );
  }
  const text = (error as Error).message;
  if (
    includes !== undefined &&
    (typeof includes === "string" ? !text.includes(includes) : !includes.test(text))
  ) {
    throw new AssertionError(
      `${prefix}expected the error message to ${
        typeof includes === "string" ? `include ${JSON.stringify(includes)}` : `match ${includes}`
      }, got ${JSON.stringify(text)}`,
      { cause: error },
    );
  }
  return error as Error;
}

/**
 * Asserts `fn` throws an instance of `type` (default `Error`) whose message includes
 * `includes` (a string) or matches it (a RegExp). Returns the error.
 */
export function assertThrows(
  fn: () => unknown,
  type?: ErrorClass,
  includes?: string | RegExp,
  message?: string,
): Error {
  try {
    fn();
  } catch (error) {
    return checkError(error, type, includes, message);
  }
  throw new AssertionError(`${message ? message + ": " : ""}expected a throw`);
}

/**
 * Async variant of {@linkcode assertThrows}: `fn` (a function returning a promise, or the
 * promise itself) must reject (or throw) with an instance of `type` (default `Error`).
 */
export async function assertRejects(
  fn: (() => PromiseLike<unknown>) | PromiseLike<unknown>,
  type?: ErrorClass,
  includes?: string | RegExp,
  message?: string,
): Promise<Error> {
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (error) {
    return checkError(error, type, includes, message);
  }
  throw new AssertionError(`${message ? message + ": " : ""}expected a rejection`);
}
