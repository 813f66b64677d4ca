/**
 * Readable text for a value in a test failure message. Display only: equality is decided
 * structurally by `assert.ts`, never by comparing this text.
 *
 * @module
 */

/** `value` as text, abbreviated (depth 4, 20 elements, 200 characters per string). */
export function show(value: unknown): string {
  return Deno.inspect(value, {
    depth: 4,
    colors: false,
    sorted: true,
    iterableLimit: 20,
    strAbbreviateSize: 200,
  });
}
