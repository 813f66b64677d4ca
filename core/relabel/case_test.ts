/** Go simple case mapping (spec relabel.md §9) and hashmod values (§8). */
import { assertStrictEquals } from "../../tests/support/assert.ts";
import { goToLower, goToUpper } from "./case.ts";
import { hashmod } from "./hashmod.ts";

Deno.test("case: Go simple mappings differ from JavaScript's full ones", () => {
  assertStrictEquals(goToUpper("ß"), "ß");
  assertStrictEquals(goToUpper("ﬁ"), "ﬁ");
  assertStrictEquals(goToUpper("ᾀ"), "ᾈ");
  assertStrictEquals(goToUpper("ᾳ"), "ᾼ");
  assertStrictEquals(goToLower("İ"), "i");
  assertStrictEquals(goToLower("ΣΑΣ"), "σασ");
  assertStrictEquals(goToUpper("abc-Ž"), "ABC-Ž");
  assertStrictEquals(goToLower("ABC"), "abc");
  assertStrictEquals(goToUpper("😀a"), "😀A");
});

Deno.test("hashmod: values from the spec and upstream tests", () => {
  assertStrictEquals(hashmod("baz", 1000n), "976");
  assertStrictEquals(hashmod("foo\nbar", 1000n), "734");
  assertStrictEquals(hashmod("", 1000n), "958");
  assertStrictEquals(hashmod("foo", 4294967296n), "3435439320");
  assertStrictEquals(hashmod("baz", 18446744073709551615n), "16450797887570275976");
});

Deno.test("md5: matches node:crypto on many inputs, including multi-block and non-ASCII", async () => {
  const { createHash } = await import("node:crypto");
  const { md5 } = await import("./hashmod.ts");
  const inputs = [
    "",
    "a",
    "abc",
    "baz",
    "foo\nbar",
    "é😀",
    "x".repeat(55),
    "y".repeat(56),
    "z".repeat(64),
    "w".repeat(1000),
  ];
  for (const input of inputs) {
    const expected = createHash("md5").update(input, "utf8").digest("hex");
    const actual = [...md5(input)].map((b) => b.toString(16).padStart(2, "0")).join("");
    assertStrictEquals(actual, expected, JSON.stringify(input));
  }
});
