import { assert, assertEquals } from "../tests/support/assert.ts";
import { compareNames, isInternalLabel, LabelSet } from "./labels.ts";

Deno.test("LabelSet.from sorts by byte order, last duplicate wins, empty values are left out", () => {
  const set = LabelSet.from([
    ["service_name", "a"],
    ["__name__", "cpu"],
    ["Zed", "upper"],
    ["service_name", "b"],
    ["empty", ""],
    ["__delta__", "false"],
  ]);
  assertEquals(set.names, ["Zed", "__delta__", "__name__", "service_name"]);
  assertEquals(set.values, ["upper", "false", "cpu", "b"]);
  assertEquals(LabelSet.from({ a: "" }), LabelSet.EMPTY);
  assert(LabelSet.from([]) === LabelSet.EMPTY);
  // A later empty duplicate deletes, as Set semantics do.
  assert(LabelSet.from([["a", "1"], ["a", ""]]) === LabelSet.EMPTY);
});

Deno.test("LabelSet get/has/with/without/merge/filter keep the original untouched", () => {
  const base = LabelSet.from({ b: "2", a: "1" });
  assertEquals([base.get("a"), base.get("zz"), base.has("b"), base.has("c")], [
    "1",
    undefined,
    true,
    false,
  ]);
  const added = base.with("c", "3").with("0", "zero");
  assertEquals([...added], [["0", "zero"], ["a", "1"], ["b", "2"], ["c", "3"]]);
  assertEquals([...base], [["a", "1"], ["b", "2"]]);
  assert(base.with("a", "1") === base, "same value returns the same set");
  assert(base.with("missing", "") === base, "deleting an absent label is a no-op");
  assertEquals(base.with("a", ""), LabelSet.from({ b: "2" }));
  assertEquals([...base.with("a", "9")], [["a", "9"], ["b", "2"]]);
  assertEquals(base.without("b"), LabelSet.from({ a: "1" }));
  assert(base.without("zz") === base);
  assertEquals(LabelSet.from({ x: "1" }).without("x"), LabelSet.EMPTY);
  assertEquals([...base.merge({ a: "", c: "3" })], [["b", "2"], ["c", "3"]]);
  assertEquals([...base.merge(LabelSet.from({ b: "new" }))], [["a", "1"], ["b", "new"]]);
  assertEquals(added.filter((name) => name !== "0"), LabelSet.from({ a: "1", b: "2", c: "3" }));
  assert(base.filter(() => true) === base);
});

Deno.test("LabelSet key/equals/toString/iteration", () => {
  const a = LabelSet.from({ x: "1", y: "2" });
  const b = LabelSet.from([["y", "2"], ["x", "1"]]);
  assert(a.equals(b));
  assertEquals(a.key(), b.key());
  assert(!a.equals(a.with("y", "3")));
  assert(a.key() !== LabelSet.from({ x: "1y", "": "2" }).key(), "separators keep keys distinct");
  assertEquals(a.toString(), '{x="1", y="2"}');
  assertEquals(LabelSet.from({ q: 'say "hi"' }).toString(), '{q="say \\"hi\\""}');
  assertEquals([...a], [["x", "1"], ["y", "2"]]);
  assertEquals(JSON.stringify({ labels: a }), '{"labels":{"x":"1","y":"2"}}');
  assertEquals(LabelSet.fromSortedUnchecked([], []), LabelSet.EMPTY);
});

Deno.test("compareNames and isInternalLabel", () => {
  assertEquals(["b", "B", "__name__", "_a", "a"].sort(compareNames), [
    "B",
    "__name__",
    "_a",
    "a",
    "b",
  ]);
  assert(isInternalLabel("__name__"));
  assert(isInternalLabel("__meta_x"));
  assert(!isInternalLabel("_x"));
  assert(!isInternalLabel("service_name"));
  assert(!isInternalLabel(""));
});
