/** Go `Regexp.Expand` corner cases (spec relabel.md §6), on `f(o)(?P<rest>o)(x)?` and `foo`. */
import { strictEqual } from "node:assert/strict";
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
    strictEqual(expandTemplate(compiled, "foo", offsets), expected);
  });
}
