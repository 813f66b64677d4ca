/**
 * Config-load validation: Prometheus `TestRelabelValidate`, the relabel cases of
 * `config/testdata/*.bad.yml`, `TestTargetLabelValidity` and the YAML null/default rules.
 */
import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { parse as parseYaml } from "yaml";
import { compileRelabelRules, relabelRulesSchema } from "./mod.ts";
import { compileRule, type NameValidationScheme, type RelabelRuleInput } from "./rule.ts";

function errorOf(rules: unknown[], scheme: NameValidationScheme = "utf8"): string | null {
  try {
    compileRelabelRules(rules, scheme);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function expectError(rules: unknown[], expected: string, scheme: NameValidationScheme = "utf8") {
  const message = errorOf(rules, scheme);
  assert(message !== null, `expected an error containing ${JSON.stringify(expected)}`);
  assert(
    message.includes(expected),
    `${JSON.stringify(message)} lacks ${JSON.stringify(expected)}`,
  );
}

// TestRelabelValidate builds Go structs, so omitted fields are zero values: we pass them
// explicitly as "" / null to mean the same thing.
const ZERO = { separator: "", replacement: "", target_label: "", regex: "" };
const VALIDATE_TABLE: {
  rule: Record<string, unknown>;
  scheme: NameValidationScheme;
  error: string | null;
}[] = [
  { rule: { ...ZERO, action: null }, scheme: "utf8", error: "relabel action cannot be empty" },
  { rule: { ...ZERO, action: "replace" }, scheme: "utf8", error: "requires 'target_label' value" },
  {
    rule: { ...ZERO, action: "lowercase" },
    scheme: "utf8",
    error: "requires 'target_label' value",
  },
  {
    rule: { ...ZERO, action: "lowercase", replacement: "$1", target_label: "${3}" },
    scheme: "utf8",
    error: null,
  },
  {
    rule: { ...ZERO, action: "lowercase", replacement: "$1", target_label: "${3}" },
    scheme: "legacy",
    error: "\"${3}\" is invalid 'target_label' for lowercase action",
  },
  ...["${3}", "0${3}", "-${3}"].map((target) => ({
    rule: {
      ...ZERO,
      source_labels: ["a"],
      regex: "some-([^-]+)-([^,]+)",
      action: "replace",
      replacement: "${1}",
      target_label: target,
    },
    scheme: "utf8" as const,
    error: null,
  })),
  {
    rule: {
      ...ZERO,
      regex: "__meta_kubernetes_pod_label_(strimzi_io_.+)",
      action: "labelmap",
      replacement: "$1",
    },
    scheme: "legacy",
    error: null,
  },
  {
    rule: { ...ZERO, regex: "__meta_(.+)", action: "labelmap", replacement: "${1}" },
    scheme: "legacy",
    error: null,
  },
];

VALIDATE_TABLE.forEach((row, index) => {
  Deno.test(`validate: TestRelabelValidate row ${index}`, () => {
    // Zero-valued separator/regex would trip later checks the Go structs never reach; the
    // upstream rows only exercise the checks up to the one they name.
    const rule = { ...row.rule } as Record<string, unknown>;
    if (rule.action !== "labelmap" && rule.action !== "replace") delete rule.regex;
    if (rule.separator === "") delete rule.separator;
    const message = errorOf([rule], row.scheme);
    if (row.error === null) assertEquals(message, null);
    else assert(message?.includes(row.error), `${message} lacks ${row.error}`);
  });
});

Deno.test("validate: legacy scheme rejects 0${3} and -${3} templates", () => {
  const base = { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${1}" };
  expectError(
    [{ ...base, target_label: "0${3}" }],
    "\"0${3}\" is invalid 'target_label' for replace action",
    "legacy",
  );
  expectError(
    [{ ...base, target_label: "-${3}" }],
    "\"-${3}\" is invalid 'target_label' for replace action",
    "legacy",
  );
  expectError([{ ...base, target_label: "service.name" }], "is invalid 'target_label'", "legacy");
});

// config/testdata/*.bad.yml, loaded through the YAML parser as a user would write them.
const BAD_YAML: [string, string][] = [
  ["- regex: abc(def", "rule[0].regex: error parsing regexp"],
  [
    "- {regex: abcdef, action: hashmod}",
    "rule[0].modulus: relabel configuration for hashmod requires non-zero modulus",
  ],
  [
    "- {regex: abcdef, action: labelkeep, source_labels: [abcdef]}",
    "rule[0].source_labels: labelkeep action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labelkeep, modulus: 8}",
    "rule[0].modulus: labelkeep action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labelkeep, separator: ','}",
    "rule[0].separator: labelkeep action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labelkeep, replacement: 'yolo-{1}'}",
    "rule[0].replacement: labelkeep action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labelkeep, target_label: yolo}",
    "rule[0].target_label: labelkeep action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labeldrop, source_labels: [abcdef]}",
    "labeldrop action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labeldrop, modulus: 8}",
    "labeldrop action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labeldrop, separator: ','}",
    "labeldrop action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labeldrop, replacement: 'yolo-{1}'}",
    "labeldrop action requires only 'regex', and no other fields",
  ],
  [
    "- {regex: abcdef, action: labeldrop, target_label: yolo}",
    "labeldrop action requires only 'regex', and no other fields",
  ],
  [
    "- {action: labeldrop, source_labels: []}",
    "rule[0].source_labels: labeldrop action requires only 'regex'",
  ],
  [
    "- {source_labels: [abcdef], action: dropequal}",
    "relabel configuration for dropequal action requires 'target_label' value",
  ],
  [
    "- {source_labels: [abcdef], action: keepequal}",
    "relabel configuration for keepequal action requires 'target_label' value",
  ],
  [
    "- {source_labels: [abcdef], action: dropequal, regex: foo, target_label: bar}",
    "rule[0].regex: dropequal action requires only 'source_labels' and `target_label`, and no other fields",
  ],
  [
    "- {source_labels: [abcdef], action: keepequal, regex: foo, target_label: bar}",
    "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
  ],
  [
    "- {source_labels: [a], action: keepequal, regex: (.*), target_label: bar}",
    "rule[0].regex: keepequal action requires only",
  ],
  [
    "- {source_labels: [__name__], action: lowercase}",
    "relabel configuration for lowercase action requires 'target_label' value",
  ],
  [
    "- {source_labels: [__name__], action: uppercase}",
    "relabel configuration for uppercase action requires 'target_label' value",
  ],
  [
    "- {source_labels: [__name__], action: lowercase, target_label: __name__, replacement: bar}",
    "rule[0].replacement: 'replacement' can not be set for lowercase action",
  ],
  [
    "- {source_labels: [__name__], action: uppercase, target_label: __name__, replacement: bar}",
    "'replacement' can not be set for uppercase action",
  ],
  [
    "- regex: abcdef",
    "rule[0].target_label: relabel configuration for replace action requires 'target_label' value",
  ],
  [
    "- {source_labels: [__address__], modulus: 8, action: hashmod}",
    "relabel configuration for hashmod action requires 'target_label' value",
  ],
  ["- action:", "rule[0].action: relabel action cannot be empty"],
  ["- {target_label: a}\n-\n", "rule[1]: empty or null relabeling rule"],
  ["- {action: DR0P}", 'rule[0].action: unknown relabel action "DR0P" (expected one of'],
  ["- {action: shout}", 'unknown relabel action "shout"'],
  [
    "- {source_labels: [''], target_label: a}",
    'rule[0].source_labels: "" is not a valid label name',
  ],
  ["- {target_label: a, regexp: x}", 'rule[0]: Unrecognized key: "regexp"'],
  ["- {target_label: a, modulus: -1}", "rule[0].modulus: Expected an unsigned 64-bit integer"],
  ["- {target_label: a, modulus: 18446744073709551616}", "rule[0].modulus"],
  ["- {action: labelmap, replacement: ''}", "\"\" is invalid 'replacement' for labelmap action"],
  ["- {target_label: a, regex: (?=x)}", "error parsing regexp"],
  ["- {target_label: a, regex: '\\Z'}", "error parsing regexp"],
  ["- {target_label: a, regex: 'a**'}", "error parsing regexp"],
  ["- {target_label: a, regex: 'a{1001}'}", "error parsing regexp"],
  ["- {target_label: a, regex: '(a)\\1'}", "error parsing regexp"],
];

for (const [yaml, expected] of BAD_YAML) {
  Deno.test(`validate: rejects ${yaml.replaceAll("\n", " ")}`, () => {
    expectError(parseYaml(yaml), expected);
  });
}

Deno.test("validate: RE2-only syntax is accepted", () => {
  for (
    const regex of [
      "(?P<a>x)",
      "(?<a>x)",
      "\\Qa.b\\E",
      "\\Ax\\z",
      "\\pL+",
      "\\p{Greek}",
      "[[:alpha:]]+",
      "(?U)a+",
      "(?i)abc",
      "a\\:b",
      "a{,3}",
      "[]a]",
      "(?P<1x>y)",
    ]
  ) {
    assertEquals(errorOf([{ target_label: "t", regex }]), null, regex);
  }
});

Deno.test("validate: defaults and YAML nulls (docs/spec/relabel.md §2)", () => {
  const defaults = compileRule({ target_label: "t" });
  assertEquals(
    [defaults.action, defaults.separator, defaults.replacement, defaults.regexDefaulted],
    ["replace", ";", "$1", true],
  );
  const nulls = compileRule(
    parseYaml("{target_label: t, regex:, separator:, replacement:}") as RelabelRuleInput,
  );
  assertEquals([nulls.separator, nulls.replacement, nulls.regexDefaulted], ["", "", false]);
  assert(nulls.regex.test(""));
  assert(!nulls.regex.test("x"));
});

Deno.test("validate: action names are case-insensitive, as Prometheus' YAML decoding", () => {
  const written = ["DROP", "Keep", "UpperCase", "KEEPEQUAL"];
  assertEquals(
    written.map((action) =>
      compileRule({ action, source_labels: ["a"], target_label: "b" }).action
    ),
    ["drop", "keep", "uppercase", "keepequal"],
  );
});

Deno.test("validate: zod schema reports the index and field in the path", () => {
  const result = relabelRulesSchema.safeParse([{ target_label: "a" }, {
    action: "hashmod",
    target_label: "s",
  }]);
  assert(!result.success);
  assertEquals(result.error.issues[0]?.path, [1, "modulus"]);
});

Deno.test("validate: TestTargetLabelLegacyValidity via legacy replace targets", () => {
  const table: [string, boolean][] = [
    ["-label", false],
    ["label", true],
    ["label${1}", true],
    ["${1}label", true],
    ["${1}", true],
    ["${", false],
    ["$", false],
    ["${}", false],
    ["foo${", false],
    ["$1", true],
    ["asd$2asd", true],
    ["-foo${1}bar-", false],
    ["bar.foo${1}bar", false],
    ["_${1}_", true],
    ["foo${bar}foo", true],
  ];
  for (const [target, valid] of table) {
    const message = errorOf([{ target_label: target }], "legacy");
    assertEquals(message === null, valid, `${target}: ${message}`);
  }
});

Deno.test("validate: compileRelabelRules rejects a non-list", () => {
  assertThrows(() => compileRelabelRules({} as unknown as []), Error, /rule: must be a list/);
});
