import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { InvalidItemError } from "../../core/component.ts";
import { LabelSet } from "../../core/labels.ts";
import { prepareLabels } from "./labels.ts";

const push = (labels: Record<string, string>, external: [string, string][] = []) =>
  prepareLabels("push", LabelSet.from(labels), external);

Deno.test("labels: Alloy's Test_Write_FanOut case (private labels stripped, external override)", () => {
  const out = push({ __name__: "test", __type__: "type", job: "foo", foo: "bar" }, [[
    "foo",
    "buzz",
  ]]);
  assertEquals([...out.labels.entries()], [["__name__", "test"], ["foo", "buzz"], ["job", "foo"]]);
});

Deno.test("labels: __delta__ kept, __tenant_id__ becomes the tenant, empty external deletes", () => {
  const out = push(
    { __name__: "memory", __delta__: "false", __tenant_id__: "team-a", env: "dev", job: "j" },
    [["env", ""], ["cluster", "c1"]],
  );
  assertEquals(out.labels.toRecord(), {
    __name__: "memory",
    __delta__: "false",
    cluster: "c1",
    job: "j",
  });
  assertEquals(out.tenant, "team-a");
});

Deno.test("labels: what the server refuses is refused here, with a reason", () => {
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (error instanceof InvalidItemError) return error.reason;
      throw error;
    }
    return "accepted";
  };
  assertEquals(reason(() => push({ service_name: "a" })), "invalid_labels");
  assertEquals(reason(() => push({ __address__: "x" })), "invalid_labels");
  const many: Record<string, string> = { __name__: "cpu" };
  for (let i = 0; i < 29; i++) many[`l${i}`] = "v";
  assertEquals(
    reason(() => push(many)),
    "max_label_names_per_series",
    "29 + __name__ + service_name fallback",
  );
  many.service_name = "s";
  delete many.l0;
  assertEquals(reason(() => push(many)), "accepted");
  assertEquals(
    reason(() => push({ __name__: "cpu", ["n".repeat(1025)]: "v" })),
    "label_name_too_long",
  );
  assertEquals(
    reason(() => push({ __name__: "cpu", k: "é".repeat(1025) })),
    "label_value_too_long",
  );
  assertEquals(reason(() => push({ __name__: "cpu", k: "é".repeat(1024) })), "accepted");
  assertEquals(reason(() => push({ __name__: "cpu", k: "\ud800" })), "invalid_labels");
  // Pyroscope accepts any UTF-8 name (sanitization off by default), unlike Alloy's validator.
  assertEquals(reason(() => push({ __name__: "cpu", "app-name": "x" })), "accepted");
});

Deno.test("labels: ingest keeps __name__ (no service_name overwrite) and __session_id__", () => {
  const out = prepareLabels(
    "ingest",
    LabelSet.from({ __name__: "myapp.cpu", service_name: "svc", __session_id__: "s1", __x__: "y" }),
    [["cluster", "c1"]],
  );
  assertEquals(out.labels.toRecord(), {
    __name__: "myapp.cpu",
    __session_id__: "s1",
    cluster: "c1",
    service_name: "svc",
  });
});

Deno.test("labels: ingest labels that name= cannot carry are refused", () => {
  const ingest = (labels: Record<string, string>) =>
    prepareLabels("ingest", LabelSet.from(labels), []);
  assertThrows(() => ingest({ env: "x" }), InvalidItemError, "no __name__");
  assertThrows(() => ingest({ __name__: "my app" }), InvalidItemError, "application name");
  assertThrows(() => ingest({ __name__: "a", "bad-key": "v" }), InvalidItemError, "cannot be sent");
  assertThrows(() => ingest({ __name__: "a", k: "a,b" }), InvalidItemError, "cannot be sent");
  assertEquals(ingest({ __name__: "a/b-c.cpu", k: "v w" }).labels.get("k"), "v w");
});
