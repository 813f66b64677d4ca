/** The CLI as a user runs it: exit codes and messages of validate, components, print-config. */

import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { runProfcol, tempConfig } from "./support/process.ts";

const VALID = `receivers:
  test.receiver/sdk: {}
exporters:
  test.exporter/out:
    delay: 10ms
  file:
    directory: /tmp/profcol-cli-test
service:
  pipelines:
    profiles:
      receivers: [test.receiver/sdk]
      exporters: [test.exporter/out, file]
`;

Deno.test("cli: validate exits 0 on a valid config", async () => {
  const result = await runProfcol(["validate", "--config", tempConfig(VALID)]);
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "configuration is valid (1 pipeline, 3 components)");
});

Deno.test("cli: config files work as positional arguments, as in `alloy run FILE`", async () => {
  const path = tempConfig(VALID);
  const result = await runProfcol(["validate", path]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.stdout.trim(), `${path}: configuration is valid (1 pipeline, 3 components)`);
  const printed = await runProfcol(["print-config", "--json", path]);
  assertEquals(printed.code, 0, printed.stderr);
  assertEquals(Object.keys(JSON.parse(printed.stdout)), ["receivers", "exporters", "service"]);
});

Deno.test("cli: validate exits 2 on a misspelled key and names the YAML path and line", async () => {
  const path = tempConfig(VALID.replace("directory:", "directoy:"));
  const result = await runProfcol(["validate", "--config", path]);
  assertEquals(result.code, 2);
  assertStringIncludes(
    result.stderr,
    `error: exporters::file::directoy: Unknown key "directoy"; did you mean "directory"? (${path}:7)`,
  );
});

Deno.test("cli: validate exits 2 on a bad duration", async () => {
  const path = tempConfig(VALID.replace("delay: 10ms", "delay: 15x"));
  const result = await runProfcol(["validate", "--config", path]);
  assertEquals(result.code, 2);
  assertStringIncludes(
    result.stderr,
    `error: exporters::test.exporter/out::delay: Cannot parse "15x" as a duration (${path}:5)`,
  );
});

Deno.test("cli: validate exits 2 when a pipeline names an undefined component", async () => {
  const path = tempConfig(
    VALID.replace("[test.receiver/sdk]", "[test.receiver/sdk, test.receiver/gone]"),
  );
  const result = await runProfcol(["validate", "--config", path]);
  assertEquals(result.code, 2);
  assertStringIncludes(
    result.stderr,
    `error: service::pipelines::profiles::receivers::1: "test.receiver/gone" is not defined under receivers (${path}:11)`,
  );
});

Deno.test("cli: an unused component is a warning; validate still exits 0", async () => {
  const path = tempConfig(VALID.replace("exporters:\n", "exporters:\n  test.exporter/idle: {}\n"));
  const result = await runProfcol(["validate", "--config", path]);
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(
    result.stderr,
    "warning: exporters::test.exporter/idle: defined but not used",
  );
});

Deno.test("cli: several --config files deep-merge; print-config shows defaults and redacts secrets", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-" });
  const base = tempConfig(VALID, dir);
  const override = `${dir}/override.yaml`;
  Deno.writeTextFileSync(
    override,
    `exporters:\n  test.exporter/out:\n    tag: \${env:PROFCOL_TEST_TAG}\nprocessors:\n  test.processor: { label: bearer_token, value: "x" }\n`,
  );
  const result = await runProfcol(["print-config", "--config", base, "-c", override, "--json"], {
    env: { PROFCOL_TEST_TAG: "merged" },
  });
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stderr, "warning: processors::test.processor: defined but not used");
  const printed = JSON.parse(result.stdout);
  assertEquals(printed.exporters["test.exporter/out"], {
    capacity: 1000,
    delay: "10ms",
    fail: false,
    fail_start: false,
    shutdown_delay: "0s",
    output: "",
    tag: "merged",
  });
  assertEquals(printed.exporters.file.max_age, "24h");
  assertEquals(printed.service.telemetry.http, {
    listen_address: "127.0.0.1",
    listen_port: 12345,
    require_token_for_all: false,
    allowed_hosts: [],
    allowed_origins: [],
  });
  const yaml = await runProfcol(["print-config", "--config", base]);
  assertEquals(yaml.code, 0);
  assertStringIncludes(yaml.stdout, "listen_address: 127.0.0.1");
});

Deno.test("cli: print-config redacts secrets, read relative to the config with ${file:}", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-" });
  Deno.writeTextFileSync(`${dir}/secret.txt`, "hunter2\n");
  const path = tempConfig(
    VALID.replace(
      "test.receiver/sdk: {}",
      'test.receiver/sdk: { password: "${file:secret.txt}", tag: "${file:secret.txt}" }',
    ),
    dir,
  );
  const result = await runProfcol(["print-config", "--config", path, "--json"]);
  assertEquals(result.code, 0, result.stderr);
  const receiver = JSON.parse(result.stdout).receivers["test.receiver/sdk"];
  // The same text under another key is the same secret: shown nowhere (core/redact.ts).
  assertEquals(receiver, { tag: "<secret>", fail_start: false, target: "", password: "<secret>" });
  assert(!result.stdout.includes("hunter2"));
});

Deno.test("cli: usage errors exit 2; --help, --version and components exit 0", async () => {
  const none = await runProfcol(["validate"]);
  assertEquals(none.code, 2);
  assertEquals(
    none.stderr.split("\n")[0],
    "profcol validate: a config file is required: profcol validate FILE (or --config FILE)",
  );
  const unknown = await runProfcol(["frobnicate"]);
  assertEquals(unknown.code, 2);
  assertEquals(unknown.stderr.split("\n")[0], 'profcol: unknown command "frobnicate"');
  const typo = await runProfcol(["valdate", "c.yaml"]);
  assertEquals(typo.code, 2);
  assertEquals(
    typo.stderr.split("\n")[0],
    'profcol: unknown command "valdate"; did you mean "validate"?',
  );
  const flag = await runProfcol(["run", "--confg", "x"]);
  assertEquals(flag.code, 2);
  assertEquals(
    flag.stderr.split("\n")[0],
    "profcol run: unknown flag --confg; profcol run takes --config FILE, --watch-config or FILE ... " +
      "(other settings go in the config file)",
  );
  const both = await runProfcol(["print-config", "--config", "a.yaml", "b.yaml"]);
  assertEquals(both.code, 2);
  assertEquals(
    both.stderr.split("\n")[0],
    'profcol print-config: unexpected argument "b.yaml": give config files either as FILE ... ' +
      "or with --config FILE, not both",
  );
  const missing = await runProfcol(["validate", "--config", "/nonexistent/profcol.yaml"]);
  assertEquals(missing.code, 2);
  assertStringIncludes(missing.stderr, "cannot read /nonexistent/profcol.yaml: file not found");

  const help = await runProfcol(["--help"], { entry: "main.ts" });
  assertEquals(help.code, 0);
  for (const command of ["run", "validate", "components", "print-config"]) {
    assertStringIncludes(help.stdout, `  ${command}`);
  }
  const version = await runProfcol(["--version"], { entry: "main.ts" });
  assertEquals(version.code, 0);
  assert(/^profcol \d+\.\d+\.\d+/.test(version.stdout), version.stdout);
  const components = await runProfcol(["components"], { entry: "main.ts" });
  assertEquals(components.code, 0);
  assert(/^file\s+exporter\s+\w+\s+\S/m.test(components.stdout), components.stdout);
  const json = await runProfcol(["components", "--json"], { entry: "main.ts" });
  const rows = JSON.parse(json.stdout) as { type: string; kind: string; stability: string }[];
  assert(rows.some((row) => row.type === "file" && row.kind === "exporter"));
});
