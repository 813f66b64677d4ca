import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../tests/support/assert.ts";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { componentConformance, testSettings } from "../../core/testing/conformance.ts";
import {
  clearPreloadedModules,
  loadModuleFactory,
  moduleProcessorFactory,
  preloadModules,
} from "./mod.ts";

componentConformance(moduleProcessorFactory);

const here = fileURLToPath(new URL("./", import.meta.url));
const testdata = (name: string) => fileURLToPath(new URL(`testdata/${name}`, import.meta.url));
const item: PushItem = {
  kind: "push",
  labels: LabelSet.from({ service_name: "api" }),
  samples: [],
};
const schema = moduleProcessorFactory.configSchema;

Deno.test("module: loads on start, validates the module config, runs it", async () => {
  const config = schema.parse({ path: testdata("throws.ts"), config: { tag: "x" } });
  assertStrictEquals(config.factory, undefined, "not preloaded: loaded at start");
  const processor = moduleProcessorFactory.create(testSettings("module/t"), config);
  assertThrows(() => processor.process(item), Error, /not loaded/);
  await processor.start();
  assertStrictEquals((await processor.process(item))?.labels.get("tag"), "x");
  await processor.shutdown();
});

Deno.test("module: a module that throws propagates the error (the pipeline counts it)", async () => {
  const processor = moduleProcessorFactory.create(
    testSettings("module/t"),
    schema.parse({ path: testdata("throws.ts") }),
  );
  await processor.start();
  const boom: PushItem = { ...item, labels: item.labels.with("boom", "yes") };
  assertThrows(() => processor.process(boom), Error, /boom/);
  assertStrictEquals(
    (await processor.process(item))?.labels.get("tag"),
    "seen",
    "still works afterwards",
  );
  await processor.shutdown();
});

Deno.test("module: a bad module config fails start with the component and field", async () => {
  const processor = moduleProcessorFactory.create(
    testSettings("module/t"),
    schema.parse({ path: testdata("throws.ts"), config: { tga: "x" } }),
  );
  await assertRejects(
    processor.start(),
    Error,
    /^processors::module\/t::config::tga: Unknown key "tga"; valid keys: tag$/,
  );
  await processor.shutdown();
});

Deno.test("module: a result that is not an item becomes an error", async () => {
  const processor = moduleProcessorFactory.create(
    testSettings("module/b"),
    schema.parse({ path: testdata("bad_return.ts") }),
  );
  await processor.start();
  assertThrows(
    () => processor.process(item),
    Error,
    /process\(\) must return an item or null, got undefined/,
  );
  await processor.shutdown();
});

Deno.test("module: lifecycle is forwarded once; shutdown is safe twice", async () => {
  const calls =
    ((globalThis as Record<string, unknown>).__profcolLifecycleCalls ??= []) as string[];
  calls.length = 0;
  const processor = moduleProcessorFactory.create(
    testSettings("module/l"),
    schema.parse({ path: testdata("lifecycle.ts"), config: { name: "a" } }),
  );
  await processor.start();
  assertStrictEquals(await processor.process(item), item);
  await processor.shutdown();
  await processor.shutdown();
  assertEquals(calls, ["start a", "shutdown a"]);
});

Deno.test("module: missing files and non-processor modules are named", async () => {
  const missing = schema.safeParse({ path: "./no/such/module.ts" });
  assert(!missing.success);
  assertEquals(missing.error.issues[0]?.path, ["path"]);
  assert(
    missing.error.issues[0]?.message.startsWith('module file "./no/such/module.ts" not found'),
  );
  await assertRejects(
    loadModuleFactory(testdata("not_a_processor.ts")),
    Error,
    /must export a processor made with defineProcessor/,
  );
  const unknownKey = schema.safeParse({ path: testdata("throws.ts"), settings: {} });
  assert(!unknownKey.success);
});

Deno.test("module: preloadModules validates module configs at config load", async () => {
  clearPreloadedModules();
  try {
    const doc = parseYaml(Deno.readTextFileSync(testdata("valid.yaml")));
    await preloadModules(doc, here);
    const parsed = schema.parse(doc.processors["module/cluster"]);
    assert(parsed.factory !== undefined);
    assertEquals(parsed.config, {
      label: "cluster",
      env: "CLUSTER_NAME",
      default: "unknown",
      overwrite: true,
    });

    const bad = {
      processors: {
        "module/x": {
          path: "../../examples/add_env_label/mod.ts",
          config: { label: "bad-name", env: "X" },
        },
      },
    };
    await preloadModules(bad, here);
    const result = schema.safeParse(bad.processors["module/x"]);
    assert(!result.success);
    assertEquals(result.error.issues[0]?.path, ["config", "label"]);

    const broken = { processors: { "module/y": { path: "./testdata/not_a_processor.ts" } } };
    await preloadModules(broken, here);
    const brokenResult = schema.safeParse(broken.processors["module/y"]);
    assert(!brokenResult.success);
    assertEquals(brokenResult.error.issues[0]?.path, ["path"]);
    assert(brokenResult.error.issues[0]?.message.includes("defineProcessor"));
  } finally {
    clearPreloadedModules();
  }
});

Deno.test("module: typo.yaml names the unknown key", () => {
  const doc = parseYaml(Deno.readTextFileSync(testdata("typo.yaml")));
  const result = schema.safeParse(doc.processors["module/cluster"]);
  assert(!result.success);
  assert(result.error.issues.some((issue) => issue.message.includes("settings")));
});
