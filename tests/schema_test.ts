/**
 * `main.ts schema`: the JSON Schema accepts `config.example.yaml` and every full config example
 * (a ```yaml block with a `service` section) in every README, checked by an independent
 * validator (ajv), and refuses a typo.
 */

import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { DURATION_PATTERN } from "../core/config/json_schema.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { runProfcol, tempConfig } from "./support/process.ts";

const ROOT = new URL("../", import.meta.url);

async function schemaValidator(args: string[] = []) {
  const result = await runProfcol(["schema", ...args], { entry: "main.ts" });
  assertEquals(result.code, 0, result.stderr);
  // deno-lint-ignore no-explicit-any
  const ajv = new (Ajv2020 as any)({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    validateFormats: false,
  });
  const validate = ajv.compile(JSON.parse(result.stdout));
  return (config: unknown): string[] =>
    validate(config)
      ? []
      // deno-lint-ignore no-explicit-any
      : validate.errors.map((e: any) => `${e.instancePath} ${e.message}`);
}

function readmes(dir = ROOT, out: URL[] = []): URL[] {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) readmes(url, out);
    else if (entry.name === "README.md") out.push(url);
  }
  return out;
}

/**
 * `config.example.yaml` and every README ```yaml block with a `service` section; a block that is
 * not YAML at all is an example nobody can copy, so it is listed in `unparsable`, not skipped.
 */
function fullConfigExamples(): {
  examples: { where: string; config: unknown }[];
  unparsable: string[];
} {
  const examples = [{
    where: "config.example.yaml",
    config: parse(Deno.readTextFileSync(new URL("config.example.yaml", ROOT))),
  }];
  const unparsable: string[] = [];
  for (const url of readmes()) {
    const text = Deno.readTextFileSync(url);
    for (const match of text.matchAll(/^```yaml\n([\s\S]*?)^```/gm)) {
      const where = `${url.pathname.slice(ROOT.pathname.length)}:${
        text.slice(0, match.index).split("\n").length
      }`;
      let config: unknown;
      try {
        config = parse(match[1]!);
      } catch (error) {
        unparsable.push(`${where}: not YAML: ${(error as Error).message.split("\n")[0]}`);
        continue;
      }
      if (config === null || typeof config !== "object" || !("service" in config)) continue;
      examples.push({ where, config });
    }
  }
  return { examples, unparsable };
}

Deno.test("schema: config.example.yaml and every README's full config examples validate", async () => {
  const check = await schemaValidator();
  const { examples, unparsable } = fullConfigExamples();
  assert(examples.length > 3, `only ${examples.length} examples found`);
  const failures = examples.flatMap(({ where, config }) =>
    check(config).map((error) => `${where}: ${error}`)
  );
  assertEquals([...unparsable, ...failures], []);
});

Deno.test("schema: a typo, a bad duration and a value outside an enum fail", async () => {
  const check = await schemaValidator();
  const example = parse(Deno.readTextFileSync(new URL("config.example.yaml", ROOT)));
  const receiver = example.receivers["pyroscope.receive_http/local"];
  receiver.max_requests_in_flite = 64;
  example.exporters.file.max_age = "24 hours";
  example.service.telemetry.logs.level = "verbose";
  assertEquals(check(example).sort(), [
    `/exporters/file/max_age must match pattern "${DURATION_PATTERN}"`,
    "/receivers/pyroscope.receive_http~1local must NOT have additional properties",
    "/service/telemetry/logs/level must be equal to one of the allowed values",
  ]);
});

Deno.test("schema: --config includes a loaded module's own config schema", async () => {
  const module = new URL("examples/add_env_label/mod.ts", ROOT).pathname;
  const path = tempConfig(`processors:\n  module/cluster: { path: ${module} }\n`);
  const check = await schemaValidator(["--config", path]);
  const config = (settings: unknown) => ({
    processors: { "module/cluster": { path: module, config: settings } },
    service: { pipelines: {} },
  });
  assertEquals(check(config({ label: "cluster", env: "CLUSTER" })), []);
  assertEquals(check(config({ label: "cluster", env: 5, lable: "x" })), [
    "/processors/module~1cluster/config must NOT have additional properties",
    "/processors/module~1cluster/config/env must be string",
  ]);
});
