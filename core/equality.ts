/**
 * The hook that lets structural equality (the test suite's `assertEquals`) see state that a
 * class keeps in private `#fields`: an object with a `[equalityState]()` method is compared by
 * what that method returns (and by its prototype), not by its own enumerable keys.
 *
 * @example
 * ```ts
 * import { equalityState } from "./equality.ts";
 * class Point {
 *   #x: number;
 *   constructor(x: number) {
 *     this.#x = x;
 *   }
 *   [equalityState](): unknown {
 *     return this.#x;
 *   }
 * }
 * new Point(1)[equalityState](); // 1
 * ```
 * @module
 */

/** Well-known symbol naming the method that returns an object's comparable state. */
export const equalityState: unique symbol = Symbol.for("profcol.equalityState");

/** An object whose comparable state is returned by its `[equalityState]()` method. */
export interface HasEqualityState {
  [equalityState](): unknown;
}
