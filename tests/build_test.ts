/**
 * `main.ts build`: manifest validation, the generated entry run with `deno run` (components
 * lists the custom types; a pipeline with a custom processor works), and — when the denort
 * runtime can be obtained — a real `deno compile` whose binary is run.
 */
import { assert, assertEquals, assertStrictEquals } from "./support/assert.ts";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateEntry, readManifest } from "../cli/build.ts";
import { runCli } from "../cli/mod.ts";
import { builtinFactories } from "../components.ts";
import { loadAndValidate } from "../core/config/mod.ts";
import type { Factory } from "../core/component.ts";
import { LabelSet } from "../core/labels.ts";
import { Registry } from "../core/registry.ts";
import { Service } from "../core/service/mod.ts";
import { silentLogger } from "../core/telemetry/logger.ts";
import { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { instances, TestExporter, testFactories, TestReceiver } from "./support/test_factories.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONFIG = join(ROOT, "deno.json");

/** `main.ts build ARGS` in process, as the command line runs it. */
function runBuild(
  args: string[],
  context: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  return runCli(["build", ...args], { factories: builtinFactories, ...context });
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    context: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "profcol-build-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function writeManifest(dir: string, body: string): string {
  const file = join(dir, "builder.yaml");
  Deno.writeTextFileSync(file, body);
  return file;
}

const EXAMPLES = `modules:
  - ${join(ROOT, "examples/add_env_label/mod.ts")}
  - { path: ${join(ROOT, "examples/drop_by_regex/mod.ts")} }
`;

async function denoRun(args: string[], env: Record<string, string> = {}) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", CONFIG, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

Deno.test("build: the generated entry lists built-ins and custom types with deno run", async () => {
  await withTempDir(async (dir) => {
    const manifest = writeManifest(dir, EXAMPLES);
    const entry = join(dir, "entry", "main.generated.ts");
    const { out, context } = capture();
    assertStrictEquals(
      await runBuild(["--manifest", manifest, "--entry", entry, "--entry-only"], context),
      0,
    );
    assert(out.some((line) => line === `entry: ${entry}`));
    const listed = await denoRun([entry, "components", "--json"]);
    assertStrictEquals(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { type: string; kind: string }[];
    const types = rows.map((row) => row.type);
    for (const type of ["add_env_label", "drop_by_regex", "relabel", "module", "file"]) {
      assert(types.includes(type), `${type} missing from ${types.join(", ")}`);
    }
    assertStrictEquals(rows.find((row) => row.type === "add_env_label")?.kind, "processor");
  });
});

Deno.test("build: a pipeline with a custom processor from the generated entry works", async () => {
  await withTempDir(async (dir) => {
    const manifest = writeManifest(dir, EXAMPLES);
    const entry = join(dir, "main.generated.ts");
    assertStrictEquals(
      await runBuild(["--manifest", manifest, "--entry", entry, "--entry-only"], capture().context),
      0,
    );
    const { factories } = await import(pathToFileURL(entry).href) as { factories: Factory[] };
    const registry = new Registry([...factories, ...testFactories]);
    const config = loadAndValidate(["c.yaml"], registry, {
      env: () => undefined,
      readFile: () => `
receivers:
  test.receiver/in: {}
processors:
  add_env_label: { label: cluster, env: PROFCOL_BUILD_TEST_UNSET, default: eu-1 }
  drop_by_regex: { label: env, regex: dev }
exporters:
  test.exporter/out: {}
service:
  pipelines:
    profiles:
      receivers: [test.receiver/in]
      processors: [add_env_label, drop_by_regex]
      exporters: [test.exporter/out]
`,
    });
    instances.clear();
    const service = new Service({
      logger: silentLogger(),
      metrics: new MetricsRegistry(),
      version: "t",
    });
    await service.start(config);
    try {
      const receiver = instances.get("test.receiver/in");
      assert(receiver instanceof TestReceiver);
      const push = (labels: Record<string, string>) =>
        receiver.push({
          kind: "push",
          labels: LabelSet.from(labels),
          samples: [{ rawProfile: new Uint8Array(2) }],
        });
      await push({ service_name: "api", env: "prod" });
      await push({ service_name: "api", env: "dev" });
      const exporter = instances.get("test.exporter/out");
      assert(exporter instanceof TestExporter);
      assertEquals(exporter.items.map((item) => item.labels.toRecord()), [
        { cluster: "eu-1", env: "prod", service_name: "api" },
      ]);
    } finally {
      await service.shutdown();
    }
  });
});

Deno.test("build: duplicate types and bad manifests are rejected with their cause", async () => {
  await withTempDir(async (dir) => {
    const dupe = join(dir, "dupe.ts");
    Deno.writeTextFileSync(
      dupe,
      `import { defineProcessor, z } from ${
        JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)
      };
export default defineProcessor({ type: "add_env_label", configSchema: z.strictObject({}), create: () => (i) => i });
`,
    );
    const builtin = join(dir, "builtin.ts");
    Deno.writeTextFileSync(
      builtin,
      `import { defineProcessor, z } from ${
        JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)
      };
export const processor = defineProcessor({ type: "relabel", configSchema: z.strictObject({}), create: () => (i) => i });
`,
    );
    const cases: [string, RegExp][] = [
      [
        `${EXAMPLES}  - ./dupe.ts\n`,
        /module \.\/dupe\.ts: component type "add_env_label" is already provided by .*add_env_label/,
      ],
      [`modules: [./builtin.ts]\n`, /component type "relabel" is already provided by built-in/],
      [`modules: []\n`, /modules: modules must list at least one module/],
      [`modules: [./missing.ts]\n`, /module \.\/missing\.ts: cannot import/],
      [`modules: [./dupe.ts]\noutptu: x\n`, /Unrecognized key.*outptu/],
      [
        `modules: [{ path: ./dupe.ts, export: nope }]\n`,
        /export nope is not a processor made with defineProcessor/,
      ],
    ];
    for (const [body, expected] of cases) {
      const { err, context } = capture();
      const code = await runBuild(
        ["--manifest", writeManifest(dir, body), "--entry-only"],
        context,
      );
      assertStrictEquals(code, 2, body);
      assert(err.some((line) => expected.test(line)), `${err.join("\n")} !~ ${expected}`);
    }
    const usage = capture();
    assertStrictEquals(await runBuild([], usage.context), 2);
    assert(usage.err.join("\n").includes("--manifest FILE is required"));
  });
});

Deno.test("build: manifest paths resolve against the manifest directory", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = writeManifest(
      dir,
      "output: dist/bin\nmodules: [./a.ts, { path: /abs/b.ts, export: x }]\n",
    );
    const manifest = readManifest(file);
    assertStrictEquals(manifest.output, join(dir, "dist/bin"));
    assertEquals(manifest.modules.map((m) => [m.absolutePath, m.exportName]), [
      [join(dir, "a.ts"), undefined],
      ["/abs/b.ts", "x"],
    ]);
    assert(generateEntry(manifest).includes(`pick(module1, "/abs/b.ts", "x")`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** Why `deno compile` cannot run here, or undefined when it can. */
async function denortUnavailable(): Promise<string | undefined> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      return Deno.statSync(bin).isFile ? undefined : `DENORT_BIN=${bin} is not a file`;
    } catch {
      return `DENORT_BIN=${bin} does not exist`;
    }
  }
  const url = `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    return response.ok ? undefined : `${url} answered ${response.status}; DENORT_BIN is not set`;
  } catch (error) {
    return `${url} is unreachable (${
      (error as Error).message.split("\n")[0]
    }); DENORT_BIN is not set`;
  }
}

const unavailable = await denortUnavailable();
if (unavailable) console.log(`SKIPPED: deno compile needs the denort runtime: ${unavailable}`);

Deno.test({
  name: "build: deno compile produces a binary that lists the custom types",
  ignore: unavailable !== undefined,
  async fn() {
    await withTempDir(async (dir) => {
      const output = join(dir, "profcol-custom");
      const { err, context } = capture();
      const code = await runBuild(
        ["--manifest", writeManifest(dir, EXAMPLES), "--output", output],
        context,
      );
      assertStrictEquals(code, 0, err.join("\n"));
      const result = await new Deno.Command(output, { args: ["components"], stdout: "piped" })
        .output();
      assertStrictEquals(result.code, 0);
      const text = new TextDecoder().decode(result.stdout);
      assert(text.includes("add_env_label") && text.includes("drop_by_regex"), text);
    });
  },
});
