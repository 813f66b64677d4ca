import { assert, assertEquals } from "../tests/support/assert.ts";
import { concatBytes } from "./bytes.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("concatBytes joins chunks in order", () => {
  assertEquals(concatBytes([bytes(1, 2), bytes(), bytes(3), bytes(4, 5)]), bytes(1, 2, 3, 4, 5));
  assertEquals(concatBytes([]), bytes());
  assertEquals(concatBytes([bytes(1, 2), bytes(3)], 3), bytes(1, 2, 3));
});

Deno.test("concatBytes returns a lone chunk without a copy", () => {
  const only = bytes(7, 8);
  assert(concatBytes([only]) === only);
  assert(concatBytes([only], 2) === only);
});

Deno.test("concatBytes keeps only the first total bytes when total is smaller", () => {
  assertEquals(concatBytes([bytes(1, 2), bytes(3, 4), bytes(5)], 3), bytes(1, 2, 3));
  assertEquals(concatBytes([bytes(1, 2, 3)], 2), bytes(1, 2));
  assertEquals(concatBytes([bytes(1, 2)], 0), bytes());
});
