import { assert, assertStrictEquals, assertThrows } from "../../tests/support/assert.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { LabelSet, type PushItem } from "../../mod.ts";
import factory from "./mod.ts";

componentConformance(factory);

const item: PushItem = {
  kind: "push",
  labels: LabelSet.from({ service_name: "api", cluster: "old" }),
  samples: [],
};

Deno.test("add_env_label: sets the label from the variable, once at create", async () => {
  Deno.env.set("PROFCOL_TEST_CLUSTER", "eu-1");
  try {
    const processor = factory.create(
      testSettings("module/cluster"),
      factory.configSchema.parse({ label: "cluster", env: "PROFCOL_TEST_CLUSTER" }),
    );
    Deno.env.set("PROFCOL_TEST_CLUSTER", "changed");
    assertStrictEquals((await processor.process(item))?.labels.get("cluster"), "eu-1");
  } finally {
    Deno.env.delete("PROFCOL_TEST_CLUSTER");
  }
});

Deno.test("add_env_label: default, overwrite false, and a clear error when unset", async () => {
  const keep = factory.create(
    testSettings("m"),
    factory.configSchema.parse({
      label: "cluster",
      env: "PROFCOL_TEST_UNSET",
      default: "x",
      overwrite: false,
    }),
  );
  assertStrictEquals((await keep.process(item))?.labels.get("cluster"), "old");
  const fresh: PushItem = { ...item, labels: LabelSet.from({ service_name: "api" }) };
  assertStrictEquals((await keep.process(fresh))?.labels.get("cluster"), "x");
  assertThrows(
    () =>
      factory.create(
        testSettings("m"),
        factory.configSchema.parse({ label: "c", env: "PROFCOL_TEST_UNSET" }),
      ),
    Error,
    /environment variable PROFCOL_TEST_UNSET is not set/,
  );
  const bad = factory.configSchema.safeParse({ label: "bad-name", env: "X" });
  assert(!bad.success);
});
