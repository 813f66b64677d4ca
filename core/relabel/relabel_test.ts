/**
 * The Prometheus `TestRelabel` table (model/relabel/relabel_test.go), transcribed into YAML-form
 * rules (defaults applied as Prometheus' YAML decoding does), plus the Builder iteration order,
 * empty results and the `replace` fast path.
 */
import { assertEquals, assertStrictEquals } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import { compileRelabelRules, relabel } from "./mod.ts";

type Case = {
  name: string;
  input: Record<string, string>;
  rules: Record<string, unknown>[];
  output?: Record<string, string>;
  drop?: boolean;
};

const sdTags = "path:/secret,job:some-job,label:foo=bar";

const PROMETHEUS_TABLE: Case[] = [
  {
    name: "0 replace with ${1} twice",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [{
      source_labels: ["a"],
      regex: "f(.*)",
      target_label: "d",
      replacement: "ch${1}-ch${1}",
    }],
    output: { a: "foo", b: "bar", c: "baz", d: "choo-choo" },
  },
  {
    name: "1 two sources, chained replaces",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [
      {
        source_labels: ["a", "b"],
        regex: "f(.*);(.*)r",
        target_label: "a",
        replacement: "b${1}${2}m",
      },
      {
        source_labels: ["c", "a"],
        regex: "(b).*b(.*)ba(.*)",
        target_label: "d",
        replacement: "$1$2$2$3",
      },
    ],
    output: { a: "boobam", b: "bar", c: "baz", d: "boooom" },
  },
  {
    name: "2 drop stops processing",
    input: { a: "foo" },
    rules: [
      { source_labels: ["a"], regex: ".*o.*", action: "drop" },
      { source_labels: ["a"], regex: "f(.*)", target_label: "d", replacement: "ch$1-ch$1" },
    ],
    drop: true,
  },
  {
    name: "3 drop",
    input: { a: "foo", b: "bar" },
    rules: [{ source_labels: ["a"], regex: ".*o.*", action: "drop" }],
    drop: true,
  },
  {
    name: "4 group in the middle",
    input: { a: "abc" },
    rules: [{ source_labels: ["a"], regex: ".*(b).*", target_label: "d", replacement: "$1" }],
    output: { a: "abc", d: "b" },
  },
  {
    name: "5 drop without match keeps",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "no-match", action: "drop" }],
    output: { a: "foo" },
  },
  {
    name: "6 anchored alternation does not match a substring",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "f|o", action: "drop" }],
    output: { a: "foo" },
  },
  {
    name: "7 keep without match drops",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "no-match", action: "keep" }],
    drop: true,
  },
  {
    name: "8 keep with match",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "f.*", action: "keep" }],
    output: { a: "foo" },
  },
  {
    name: "9 no replacement without a match",
    input: { a: "boo" },
    rules: [{ source_labels: ["a"], regex: "f", target_label: "b", replacement: "bar" }],
    output: { a: "boo" },
  },
  {
    name: "10 hashmod baz mod 1000",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [{ source_labels: ["c"], target_label: "d", action: "hashmod", modulus: 1000 }],
    output: { a: "foo", b: "bar", c: "baz", d: "976" },
  },
  {
    name: "11 hashmod with a newline",
    input: { a: "foo\nbar" },
    rules: [{ source_labels: ["a"], target_label: "b", action: "hashmod", modulus: 1000 }],
    output: { a: "foo\nbar", b: "734" },
  },
  {
    name: "12 labelmap",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", replacement: "bar_${1}", action: "labelmap" }],
    output: { a: "foo", b1: "bar", b2: "baz", bar_b1: "bar", bar_b2: "baz" },
  },
  {
    name: "13 labelmap of __meta_ labels",
    input: { a: "foo", __meta_my_bar: "aaa", __meta_my_baz: "bbb", __meta_other: "ccc" },
    rules: [{ regex: "__meta_(my.*)", replacement: "${1}", action: "labelmap" }],
    output: {
      a: "foo",
      __meta_my_bar: "aaa",
      __meta_my_baz: "bbb",
      __meta_other: "ccc",
      my_bar: "aaa",
      my_baz: "bbb",
    },
  },
  {
    name: "14 templated target",
    input: { a: "some-name-value" },
    rules: [{
      source_labels: ["a"],
      regex: "some-([^-]+)-([^,]+)",
      replacement: "${2}",
      target_label: "${1}",
    }],
    output: { a: "some-name-value", name: "value" },
  },
  {
    name: "15 replacement expanding to empty deletes (nothing to delete)",
    input: { a: "some-name-value" },
    rules: [{
      source_labels: ["a"],
      regex: "some-([^-]+)-([^,]+)",
      replacement: "${3}",
      target_label: "${1}",
    }],
    output: { a: "some-name-value" },
  },
  {
    name: "16 target expanding to an invalid name does nothing",
    input: { a: "some-name-0" },
    rules: [
      {
        source_labels: ["a"],
        regex: "some-([^-]+)-([^,]+)",
        replacement: "${1}",
        target_label: "${3}",
      },
      {
        source_labels: ["a"],
        regex: "some-([^-]+)-([^,]+)",
        replacement: "${1}",
        target_label: "${3}",
      },
      {
        source_labels: ["a"],
        regex: "some-([^-]+)(-[^,]+)",
        replacement: "${1}",
        target_label: "${3}",
      },
    ],
    output: { a: "some-name-0" },
  },
  {
    name: "17 real-life tag parsing",
    input: { __meta_sd_tags: sdTags },
    rules: [
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)path:(/[^,]+).*",
        replacement: "${1}",
        target_label: "__metrics_path__",
      },
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)job:([^,]+).*",
        replacement: "${1}",
        target_label: "job",
      },
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)label:([^=]+)=([^,]+).*",
        replacement: "${2}",
        target_label: "${1}",
      },
    ],
    output: { __meta_sd_tags: sdTags, __metrics_path__: "/secret", job: "some-job", foo: "bar" },
  },
  {
    name: "18 delete then set the same name (prometheus#12283)",
    input: {
      __meta_kubernetes_pod_container_port_name: "foo",
      __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
    },
    rules: [
      { regex: "^__meta_kubernetes_pod_container_port_name$", action: "labeldrop" },
      {
        source_labels: ["__meta_kubernetes_pod_annotation_XXX_metrics_port"],
        regex: "(.+)",
        replacement: "metrics",
        target_label: "__meta_kubernetes_pod_container_port_name",
      },
      {
        source_labels: ["__meta_kubernetes_pod_container_port_name"],
        regex: "^metrics$",
        action: "keep",
      },
    ],
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
      __meta_kubernetes_pod_container_port_name: "metrics",
    },
  },
  {
    name: "19 labelkeep",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", action: "labelkeep" }],
    output: { b1: "bar", b2: "baz" },
  },
  {
    name: "20 labeldrop",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", action: "labeldrop" }],
    output: { a: "foo" },
  },
  {
    name: "21 uppercase and lowercase",
    input: { foo: "bAr123Foo" },
    rules: [
      { source_labels: ["foo"], action: "uppercase", target_label: "foo_uppercase" },
      { source_labels: ["foo"], action: "lowercase", target_label: "foo_lowercase" },
    ],
    output: { foo: "bAr123Foo", foo_lowercase: "bar123foo", foo_uppercase: "BAR123FOO" },
  },
  {
    name: "22 keepequal keeps",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port1" }],
    output: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
  },
  {
    name: "23 dropequal drops",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port1" }],
    drop: true,
  },
  {
    name: "24 dropequal keeps",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port2" }],
    output: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
  },
  {
    name: "25 keepequal drops",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port2" }],
    drop: true,
  },
];

const EXTRA_CASES: Case[] = [
  {
    name: "missing sources still produce separators",
    input: { a: "x", b: "y" },
    rules: [{ source_labels: ["a", "missing", "b"], target_label: "joined" }],
    output: { a: "x", b: "y", joined: "x;;y" },
  },
  {
    name: "copying a missing label deletes the target",
    input: { t: "old", a: "1" },
    rules: [{ source_labels: ["missing"], target_label: "t" }],
    output: { a: "1" },
  },
  {
    name: "constant via the fast path",
    input: { a: "1" },
    rules: [{ target_label: "env", replacement: "prod" }],
    output: { a: "1", env: "prod" },
  },
  {
    name: "blank replacement deletes",
    input: { a: "1", env: "dev" },
    rules: [{ source_labels: ["env"], regex: "dev", target_label: "env", replacement: "" }],
    output: { a: "1" },
  },
  {
    name: "YAML null replacement is empty and deletes",
    input: { a: "1", env: "dev" },
    rules: [{ source_labels: ["env"], target_label: "env", replacement: null }],
    output: { a: "1" },
  },
  {
    name: "action: drop with defaults drops everything",
    input: { a: "1" },
    rules: [{ action: "drop" }],
    drop: true,
  },
  {
    name: "keepequal with two missing labels keeps",
    input: { a: "1" },
    rules: [{ source_labels: ["x"], action: "keepequal", target_label: "y" }],
    output: { a: "1" },
  },
  {
    name: "lowercase of empty deletes the target",
    input: { a: "1", t: "X" },
    rules: [{ source_labels: ["missing"], action: "lowercase", target_label: "t" }],
    output: { a: "1" },
  },
  {
    name: "uppercase of a missing source deletes the target and keeps the set",
    input: { a: "1", t: "X" },
    rules: [{ source_labels: ["missing"], action: "uppercase", target_label: "t" }],
    output: { a: "1" },
  },
  {
    name: "lowercase of a missing source into an absent target keeps the set as is",
    input: { a: "1" },
    rules: [{ source_labels: ["missing"], action: "lowercase", target_label: "t" }],
    output: { a: "1" },
  },
  {
    name: "an upper-case action name works as in Prometheus (DROP)",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "foo", action: "DROP" }],
    drop: true,
  },
  {
    name: "labelmap output is not revisited by the same rule",
    input: { a_a_x: "1" },
    rules: [{ regex: "a_(.*)", action: "labelmap" }],
    output: { a_a_x: "1", a_x: "1" },
  },
  {
    name: "labelmap collision: the later name in sorted order wins",
    input: { a_x: "first", b_x: "second" },
    rules: [{ regex: "[ab]_(.*)", action: "labelmap" }],
    output: { a_x: "first", b_x: "second", x: "second" },
  },
  {
    name: "labelmap collision: a label set by an earlier rule is visited last",
    input: { b_x: "base" },
    rules: [
      { target_label: "a_x", replacement: "added" },
      { regex: "[ab]_(.*)", action: "labelmap" },
    ],
    output: { a_x: "added", b_x: "base", x: "added" },
  },
  {
    name: "dot matches newline",
    input: { a: "foo\nbar" },
    rules: [{ source_labels: ["a"], regex: "foo.bar", action: "keep" }],
    output: { a: "foo\nbar" },
  },
  {
    name: "hashmod of the empty string",
    input: { a: "1" },
    rules: [{
      source_labels: ["missing"],
      action: "hashmod",
      target_label: "shard",
      modulus: 1000,
    }],
    output: { a: "1", shard: "958" },
  },
  {
    name: "hashmod above 2^53 uses BigInt",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], action: "hashmod", target_label: "h", modulus: 4294967296 }],
    output: { a: "foo", h: "3435439320" },
  },
  {
    name: "hashmod with a uint64 modulus given as a string",
    input: { a: "baz" },
    rules: [{
      source_labels: ["a"],
      action: "hashmod",
      target_label: "h",
      modulus: "18446744073709551615",
    }],
    output: { a: "baz", h: "16450797887570275976" },
  },
  {
    name: "RE2 syntax: (?P<name>) and \\: escapes",
    input: { __address__: "10.0.0.1:8080" },
    rules: [{
      source_labels: ["__address__"],
      regex: "(?P<host>[^:]+)(\\:\\d+)?",
      target_label: "host",
      replacement: "$host",
    }],
    output: { __address__: "10.0.0.1:8080", host: "10.0.0.1" },
  },
  {
    name: "unbalanced pattern joins as text, like Prometheus",
    input: { a: "fooxyz" },
    rules: [{ source_labels: ["a"], regex: "foo)|(bar", action: "drop" }],
    drop: true,
  },
  {
    name: "Go case mapping: ß stays",
    input: { a: "straße" },
    rules: [{ source_labels: ["a"], action: "uppercase", target_label: "b" }],
    output: { a: "straße", b: "STRAßE" },
  },
  {
    name: "a utf8 target name with a dot is written (Alloy's legacy runtime skip is fixed)",
    input: { a: "x" },
    rules: [{ source_labels: ["a"], target_label: "service.name" }],
    output: { a: "x", "service.name": "x" },
  },
  {
    name: "relabeling everything away drops",
    input: { a: "1" },
    rules: [{ regex: "a", action: "labeldrop" }],
    drop: true,
  },
];

for (const c of [...PROMETHEUS_TABLE, ...EXTRA_CASES]) {
  Deno.test(`relabel: ${c.name}`, () => {
    const rules = compileRelabelRules(c.rules);
    const result = relabel(LabelSet.from(c.input), rules);
    if (c.drop) {
      assertStrictEquals(result, null);
    } else {
      assertEquals(result?.toRecord(), LabelSet.from(c.output!).toRecord());
    }
  });
}

Deno.test("relabel: no rules keeps the set itself; an empty set is dropped", () => {
  const labels = LabelSet.from({ a: "1" });
  assertStrictEquals(relabel(labels, []), labels);
  assertStrictEquals(relabel(LabelSet.EMPTY, []), null);
});

Deno.test("relabel: a run that changes nothing returns the same object", () => {
  const labels = LabelSet.from({ env: "prod" });
  const rules = compileRelabelRules([{ source_labels: ["env"], regex: "dev", action: "drop" }]);
  assertStrictEquals(relabel(labels, rules), labels);
});

Deno.test("relabel: rules can be reused; regex state does not leak between calls", () => {
  const rules = compileRelabelRules([{
    source_labels: ["a"],
    regex: "(x+)(y*)",
    target_label: "b",
    replacement: "$2$1",
  }]);
  assertEquals(relabel(LabelSet.from({ a: "xxyy" }), rules)?.get("b"), "yyxx");
  assertEquals(relabel(LabelSet.from({ a: "q" }), rules)?.get("b"), undefined);
  assertEquals(relabel(LabelSet.from({ a: "x" }), rules)?.get("b"), "x");
});
