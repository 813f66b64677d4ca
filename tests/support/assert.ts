/**
 * Minimal assertions for tests (`@std/assert` is not reachable here). Test-only.
 *
 * @module
 */

/** Throws when `condition` is falsy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

function show(value: unknown): string {
  return Deno.inspect(value, { depth: 10, colors: false, sorted: true });
}

/** Deep equality via Deno.inspect with sorted keys. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  const a = show(actual);
  const b = show(expected);
  if (a !== b) {
    throw new Error(
      `${message ? message + ": " : ""}values differ\nactual:   ${a}\nexpected: ${b}`,
    );
  }
}

/** Throws when `text` does not contain `part`. */
export function assertStringIncludes(text: string, part: string): void {
  if (!text.includes(part)) {
    throw new Error(`expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`);
  }
}

/** Throws when `text` does not match `pattern`. */
export function assertMatch(text: string, pattern: RegExp): void {
  if (!pattern.test(text)) throw new Error(`expected ${JSON.stringify(text)} to match ${pattern}`);
}

/** Asserts `fn` throws an instance of `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new Error(`expected ${type.name}, got ${show(error)}`);
    }
    if (includes && !(error as Error).message.includes(includes)) {
      throw new Error(
        `expected message to include ${JSON.stringify(includes)}: ${(error as Error).message}`,
      );
    }
    return error as Error;
  }
  throw new Error("expected a throw");
}

/** Async variant of {@linkcode assertThrows}. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new Error(`expected ${type.name}, got ${show(error)}`);
    }
    if (includes && !(error as Error).message.includes(includes)) {
      throw new Error(
        `expected message to include ${JSON.stringify(includes)}: ${(error as Error).message}`,
      );
    }
    return error as Error;
  }
  throw new Error("expected a rejection");
}
