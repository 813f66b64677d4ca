/** Go `Regexp.Expand` corner cases (spec relabel.md §6), on `f(o)(?P<rest>o)(x)?` and `foo`. */
import { assertStrictEquals } from "../../tests/support/assert.ts";
import { compileRelabelRegex } from "./regex.ts";
import { compileTemplate, expandTemplate } from "./template.ts";

const re = compileRelabelRegex("f(o)(?P<rest>o)(x)?");

const TABLE: [string, string][] = [
  ["$1", "o"],
  ["${1}", "o"],
  ["$1x", ""],
  ["$1_suffix", ""],
  ["${1}x", "ox"],
  ["$10", ""],
  ["$01", ""],
  ["$0", "foo"],
  ["$$", "$"],
  ["$$1", "$1"],
  ["$$$1", "$o"],
  ["$", "$"],
  ["a$", "a$"],
  ["$-", "$-"],
  ["$1$", "o$"],
  ["${", "${"],
  ["${1", "${1"],
  ["${1 }", "${1 }"],
  ["${ 1}", "${ 1}"],
  ["${}", "${}"],
  ["$rest", "o"],
  ["${rest}", "o"],
  ["$rest_", ""],
  ["$3", ""],
  ["[$3]", "[]"],
  ["$1é", ""],
  ["$١", ""],
  ["${a$1}", "${ao}"],
  ["$2", "o"],
  ["$4", ""],
  ["$1234567890", ""],
  ["plain", "plain"],
  ["", ""],
];

for (const [template, expected] of TABLE) {
  Deno.test(`template: ${JSON.stringify(template)} → ${JSON.stringify(expected)}`, () => {
    const offsets = re.exec("foo");
    if (offsets === null) throw new Error("regex did not match");
    const compiled = compileTemplate(template, re.names, re.groupCount);
    assertStrictEquals(expandTemplate(compiled, "foo", offsets), expected);
  });
}

Deno.test("regex: literal prefixes are conservative", async () => {
  const { literalPrefix } = await import("./regex.ts");
  assertStrictEquals(
    literalPrefix("__meta_kubernetes_pod_label_(.+)"),
    "__meta_kubernetes_pod_label_",
  );
  assertStrictEquals(literalPrefix("^__meta_(.+)"), "__meta_");
  assertStrictEquals(literalPrefix("ab*c"), "a");
  assertStrictEquals(literalPrefix("a{2}"), "");
  assertStrictEquals(literalPrefix("abc|xyz"), "");
  assertStrictEquals(literalPrefix("(?i)abc"), "");
  assertStrictEquals(literalPrefix("a\\.b"), "a");
  const re = compileRelabelRegex("api-(.*)");
  assertStrictEquals(re.test("api-x"), true);
  assertStrictEquals(re.test("xapi-x"), false);
});

Deno.test("regex: the P(.*)S fast shape agrees with re2js", async () => {
  const { RE2JS } = await import("re2js");
  const patterns = ["__meta_(.+)", "f(.*)", "(.*)-suffix", "a(.+)b", "(.+)", "x(.*)x"];
  const inputs = [
    "",
    "f",
    "foo",
    "__meta_",
    "__meta_x",
    "a-suffix",
    "-suffix",
    "ab",
    "axb",
    "x",
    "xx",
    "xax",
    "a\nb",
    "é",
  ];
  for (const pattern of patterns) {
    const fast = compileRelabelRegex(pattern);
    const re = RE2JS.compile(`^(?s:${pattern})$`);
    for (const input of inputs) {
      const m = re.matcher(input);
      const found = m.find();
      assertStrictEquals(fast.test(input), found, `${pattern} on ${JSON.stringify(input)}`);
      const offsets = fast.exec(input);
      if (found) {
        assertStrictEquals(input.slice(offsets![2], offsets![3]), m.group(1), `${pattern} group`);
      }
    }
  }
});
