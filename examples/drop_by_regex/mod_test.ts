import { assert, assertStrictEquals } from "../../tests/support/assert.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import { LabelSet, type PushItem } from "../../mod.ts";
import factory from "./mod.ts";

componentConformance(factory);

function push(labels: Record<string, string>): PushItem {
  return { kind: "push", labels: LabelSet.from(labels), samples: [] };
}

Deno.test("drop_by_regex: drops on an anchored RE2 match and counts it", async () => {
  const settings = testSettings("module/no_canaries");
  const processor = factory.create(
    settings,
    factory.configSchema.parse({ label: "pod", regex: ".*-canary-.*" }),
  );
  assertStrictEquals(await processor.process(push({ pod: "api-canary-1" })), null);
  const kept = push({ pod: "api-1-canary" });
  assertStrictEquals(await processor.process(kept), kept);
  assertStrictEquals(
    settings.metrics.counter("profcol_example_drop_by_regex_dropped_profiles_total", "", [])
      .get({ component_id: "module/no_canaries" }),
    1,
  );
});

Deno.test("drop_by_regex: an invalid regex is a config error on regex", () => {
  const result = factory.configSchema.safeParse({ label: "pod", regex: "(" });
  assert(!result.success);
  assertStrictEquals(result.error.issues[0]?.path[0], "regex");
  assert(result.error.issues[0]?.message.includes("error parsing regexp"));
});
