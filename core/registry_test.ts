import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import { testFactories } from "../tests/support/test_factories.ts";
import { parseComponentId } from "./component.ts";
import { Registry } from "./registry.ts";

Deno.test("Registry looks factories up by type and by id, lists by kind then type", () => {
  const registry = new Registry([...testFactories].reverse());
  assertEquals(registry.list().map((f) => f.type), [
    "test.receiver",
    "test.processor",
    "test.exporter",
  ]);
  assertEquals(registry.list("exporter").map((f) => f.type), ["test.exporter"]);
  assert(registry.forId("test.exporter/a") === registry.get("test.exporter"));
  assertEquals(registry.forId("nope/a"), undefined);
  assertEquals(registry.get("test.exporter/a"), undefined);
});

Deno.test("Registry rejects a duplicate type", () => {
  assertThrows(
    () => new Registry([...testFactories, testFactories[0]!]),
    Error,
    'Component type "test.receiver" is registered twice',
  );
});

Deno.test("parseComponentId splits at the first slash", () => {
  assertEquals(parseComponentId("pyroscope.write"), { type: "pyroscope.write", name: undefined });
  assertEquals(parseComponentId("pyroscope.write/a/b"), { type: "pyroscope.write", name: "a/b" });
});
