import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "../../tests/support/assert.ts";
import { Registry } from "../registry.ts";
import { testFactories } from "../../tests/support/test_factories.ts";
import { ConfigError, formatIssue } from "./errors.ts";
import { loadAndValidate } from "./mod.ts";
import { printableConfig } from "./printable.ts";
import { isSecretKey, redactValue } from "../redact.ts";
import { deepMerge } from "./source.ts";

const registry = new Registry(testFactories);

function load(
  files: Record<string, string>,
  env: Record<string, string> = {},
) {
  return loadAndValidate(Object.keys(files).filter((f) => f.endsWith(".yaml")), registry, {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Deno.errors.NotFound(path);
      return text;
    },
    env: (name) => env[name],
  });
}

function errors(files: Record<string, string>, env: Record<string, string> = {}): string[] {
  try {
    load(files, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const VALID = `receivers:
  test.receiver/a: {}
processors:
  test.processor: { value: x }
exporters:
  test.exporter/out:
    capacity: 5
    delay: 50ms
service:
  pipelines:
    profiles:
      receivers: [test.receiver/a]
      processors: [test.processor]
      exporters: [test.exporter/out]
`;

Deno.test("config: a valid config parses with defaults applied and durations in ms", () => {
  const config = load({ "c.yaml": VALID });
  assertEquals(config.pipelines.map((p) => p.name), ["profiles"]);
  assertEquals((config.exporters.get("test.exporter/out")!.config as { delay: number }).delay, 50);
  assertEquals(config.service.telemetry.http, {
    listen_address: "127.0.0.1",
    listen_port: 12345,
    require_token_for_all: false,
    allowed_hosts: [],
    allowed_origins: [],
  });
  assertEquals(config.service.telemetry.logs, { level: "info", format: "logfmt" });
  assertEquals(config.service.shutdown_timeout, 30_000);
  assertEquals(config.service.delta_memory, 256 * 1024 * 1024);
  assertEquals(config.warnings, []);
});

Deno.test("config: service.delta_memory takes a byte size", () => {
  const config = load({ "c.yaml": `${VALID}  delta_memory: 64MiB\n` });
  assertEquals(config.service.delta_memory, 64 * 1024 * 1024);
  const [message] = errors({ "c.yaml": `${VALID}  delta_memory: lots\n` });
  assert(message!.startsWith("service::delta_memory: "), message);
});

Deno.test("config: a misspelled key names the path, the line and the likely key", () => {
  const text = VALID.replace("    capacity: 5", "    capacty: 5");
  const [message, ...rest] = errors({ "c.yaml": text });
  assertEquals(rest, []);
  assertEquals(
    message,
    'exporters::test.exporter/out::capacty: Unknown key "capacty"; did you mean "capacity"? (c.yaml:7)',
  );
});

Deno.test("config: a bad duration names the path and line", () => {
  const [message] = errors({ "c.yaml": VALID.replace("delay: 50ms", "delay: 15x") });
  assertEquals(
    message,
    'exporters::test.exporter/out::delay: Cannot parse "15x" as a duration (c.yaml:8)',
  );
});

Deno.test("config: a pipeline naming an undefined component is an error with a hint", () => {
  const text = VALID.replace("exporters: [test.exporter/out]", "exporters: [test.exporter/ot]");
  const messages = errors({ "c.yaml": text });
  assertEquals(messages, [
    'service::pipelines::profiles::exporters::0: "test.exporter/ot" is not defined under exporters; did you mean "test.exporter/out"? (c.yaml:14)',
  ]);
});

Deno.test("config: pipelines need a receiver and an exporter; at least one pipeline", () => {
  const text = `exporters: { test.exporter: {} }
service: { pipelines: { p: { exporters: [test.exporter] } } }
`;
  assertEquals(errors({ "c.yaml": text }), [
    'service::pipelines::p: Pipeline "p" needs at least one receiver (c.yaml:2)',
  ]);
  const none = errors({ "c.yaml": "exporters: { test.exporter: {} }\n" });
  assertEquals(none, ["service: At least one pipeline is required under service::pipelines"]);
});

Deno.test("config: unknown component types, wrong sections and bad ids are errors", () => {
  const text = `receivers:
  test.reciever/a: {}
  test.exporter/b: {}
  "bad id/x/y": {}
exporters: { test.exporter: {} }
service: { pipelines: { p: { receivers: [test.reciever/a], exporters: [test.exporter] } } }
`;
  const messages = errors({ "c.yaml": text });
  assertStringIncludes(
    messages[0]!,
    'receivers::test.reciever/a: Unknown receiver type "test.reciever"; did you mean "test.receiver"?',
  );
  assertEquals(
    messages[1],
    'receivers::test.exporter/b: "test.exporter" is an exporter; move it under exporters (c.yaml:3)',
  );
  assertStringIncludes(messages[2]!, 'Invalid component id "bad id/x/y"');
  // The pipeline's reference to the (invalid) defined receiver is not reported twice.
  assertEquals(messages.length, 3);
});

Deno.test("config: a factory's Alloy mapping names what to use instead of Alloy's names", () => {
  const mapped = new Registry([...testFactories, {
    ...testFactories.find((f) => f.kind === "processor")!,
    type: "rename",
    alloy: {
      type: "pyroscope.rename",
      absorbs: { "discovery.names": "Alloy's discovery.names is a list inside rename here" },
      convert: (block) => block.body(),
    },
  }]);
  const text = `receivers:
  test.receiver: {}
  discovery.names/pods: {}
processors:
  pyroscope.rename/a: {}
  pyroscope.ebpf: {}
exporters: { test.exporter: {} }
service: { pipelines: { p: { receivers: [test.receiver], exporters: [test.exporter] } } }
`;
  let messages: string[] = [];
  try {
    loadAndValidate(["c.yaml"], mapped, { readFile: () => text, env: () => undefined });
  } catch (error) {
    messages = (error as ConfigError).issues.map(formatIssue);
  }
  assertEquals(messages, [
    'receivers::discovery.names/pods: Unknown receiver type "discovery.names": ' +
    "Alloy's discovery.names is a list inside rename here (c.yaml:3)",
    'processors::pyroscope.rename/a: Unknown processor type "pyroscope.rename": ' +
    `Alloy's pyroscope.rename is the "rename" processor here (c.yaml:5)`,
    'processors::pyroscope.ebpf: Unknown processor type "pyroscope.ebpf": ' +
    "Alloy's pyroscope.ebpf is not supported; profcol scrapes (pyroscope.scrape) and receives " +
    "pushes (pyroscope.receive_http) (c.yaml:6)",
  ]);
});

Deno.test("config: an unquoted ${env:...} inside { } or [ ] gets one error saying to quote it", () => {
  const text = VALID.replace(
    "test.receiver/a: {}",
    "test.receiver/a: { tags: [${env:TAG}], name: ${env:NAME:-x} }",
  );
  assertEquals(errors({ "c.yaml": text }), [
    'receivers::test.receiver/a::tags::0: ${env:TAG} inside { } or [ ] must be quoted: "${env:TAG}" (c.yaml:2)',
    'receivers::test.receiver/a::name: ${env:NAME:-x} inside { } or [ ] must be quoted: "${env:NAME:-x}" (c.yaml:2)',
  ]);
});

Deno.test("config: unknown top-level sections and service keys are errors", () => {
  const messages = errors({
    "c.yaml": VALID + "  telemetri: {}\nrecievers: {}\n",
  });
  assertEquals(messages.length, 2);
  assertStringIncludes(
    messages[0]!,
    'recievers: Unknown section "recievers"; did you mean "receivers"?',
  );
  assertStringIncludes(
    messages[1]!,
    'service::telemetri: Unknown key "telemetri"; did you mean "telemetry"?',
  );
});

Deno.test("config: service settings are validated with clear messages", () => {
  const text = VALID + `  telemetry:
    http: { listen_port: abc }
    logs: { level: verbose }
  shutdown_timeout: soon
`;
  const messages = errors({ "c.yaml": text });
  assertEquals(
    messages,
    [
      'service::telemetry::logs::level: Expected one of debug, info, warn, error, got "verbose" (c.yaml:17)',
      'service::telemetry::http::listen_port: Expected a port number from 0 to 65535, got "abc" (c.yaml:16)',
      'service::shutdown_timeout: Cannot parse "soon" as a duration (c.yaml:18)',
    ].sort((a, b) => messages.indexOf(a) - messages.indexOf(b)),
  );
});

Deno.test("config: a missing required value and a wrong type are named", () => {
  const text = VALID.replace("capacity: 5", "capacity: many");
  assertEquals(errors({ "c.yaml": text }), [
    'exporters::test.exporter/out::capacity: Expected a whole number, got the string "many" (c.yaml:7)',
  ]);
});

Deno.test("config: a defined but unused component is a warning, not an error", () => {
  const config = load({
    "c.yaml": VALID.replace("exporters:\n", "exporters:\n  test.exporter/idle: {}\n"),
  });
  assertEquals(config.warnings.map(formatIssue), [
    "exporters::test.exporter/idle: defined but not used by any pipeline; it will not run (c.yaml:6)",
  ]);
});

Deno.test("config: YAML syntax errors and duplicate keys report file and line", () => {
  const [syntax] = errors({ "c.yaml": "receivers:\n  a: [1, 2\n" });
  assertMatch(syntax!, /^YAML syntax error: .* \(c\.yaml:\d+\)$/);
  const [nested] = errors({ "c.yaml": "receivers:\n  a:\n    b: 2      - url: x\n" });
  assertMatch(nested!, /\(c\.yaml:3\)$/);
  const [duplicate] = errors({ "c.yaml": "receivers: {}\nreceivers: {}\n" });
  assertEquals(duplicate, 'receivers: Duplicate key "receivers" (c.yaml:2)');
});

Deno.test("config: a missing file is named", () => {
  assertEquals(errors({ "c.yaml": VALID, "missing.yaml": undefined as unknown as string }), [
    "cannot read missing.yaml: file not found",
  ]);
});

Deno.test("config: ${env:VAR} expands; a missing variable is an error naming the path", () => {
  const text = VALID.replace("value: x", 'value: "${env:SUFFIX}-${env:OTHER:-dflt}"');
  const config = load({ "c.yaml": text }, { SUFFIX: "prod" });
  const processor = config.processors.get("test.processor")!;
  assertEquals((processor.config as { value: string }).value, "prod-dflt");
  assertEquals(errors({ "c.yaml": text }), [
    "processors::test.processor::value: environment variable SUFFIX is not set (referenced as ${env:SUFFIX}) (c.yaml:4)",
  ]);
});

Deno.test("config: an unset variable does not hide the other errors", () => {
  const text = VALID.replace("value: x", 'value: "${env:SUFFIX}"').replace(
    "capacity: 5",
    "capacity: -1",
  ).replace("service:", "servce: {}\nservice:");
  assertEquals(errors({ "c.yaml": text }), [
    "processors::test.processor::value: environment variable SUFFIX is not set (referenced as ${env:SUFFIX}) (c.yaml:4)",
    ...errors({ "c.yaml": text }, { SUFFIX: "set" }),
  ]);
  assertEquals(errors({ "c.yaml": text }, { SUFFIX: "set" }).length, 2);
});

Deno.test("config: a whole ${env:X} number becomes a number, but stays text where text is wanted", () => {
  const text = VALID.replace("capacity: 5", () => "capacity: ${env:CAP}").replace(
    "value: x",
    'value: "${env:CAP}"',
  ) + "  telemetry: { http: { listen_port: '${env:PORT}' } }\n";
  const config = load({ "c.yaml": text }, { CAP: "7", PORT: "9999" });
  assertEquals(
    (config.exporters.get("test.exporter/out")!.config as { capacity: number }).capacity,
    7,
  );
  assertEquals((config.processors.get("test.processor")!.config as { value: string }).value, "7");
  assertEquals(config.service.telemetry.http.listen_port, 9999);
});

Deno.test("config: ${file:PATH} reads relative to the config file; $${} is literal", () => {
  const text = VALID.replace("value: x", 'value: "${file:secret.txt}"').replace(
    "test.receiver/a: {}",
    () => 'test.receiver/a: { tag: "$${env:NOT_EXPANDED}" }',
  );
  const config = load({ "dir/c.yaml": text, "dir/secret.txt": "s3cret\n" });
  assertEquals(
    (config.processors.get("test.processor")!.config as { value: string }).value,
    "s3cret",
  );
  assertEquals(
    (config.receivers.get("test.receiver/a")!.config as { tag: string }).tag,
    "${env:NOT_EXPANDED}",
  );
  const messages = errors({ "c.yaml": VALID.replace("value: x", 'value: "${file:nope.txt}"') });
  assertStringIncludes(messages[0]!, "processors::test.processor::value: cannot read ./nope.txt");
  assertStringIncludes(
    errors({ "c.yaml": VALID.replace("value: x", 'value: "${vault:x}"') })[0]!,
    "unknown reference",
  );
});

Deno.test("config: several files deep-merge in order; lines point at the file that set a value", () => {
  const override = `exporters:
  test.exporter/out:
    delay: 1h30x
`;
  const messages = errors({ "base.yaml": VALID, "override.yaml": override });
  assertEquals(messages, [
    'exporters::test.exporter/out::delay: Cannot parse "1h30x" as a duration (override.yaml:3)',
  ]);
  const config = load({
    "base.yaml": VALID,
    "override.yaml": "exporters:\n  test.exporter/out:\n    delay: 1m30s\n",
  });
  const out = config.exporters.get("test.exporter/out")!.config as {
    delay: number;
    capacity: number;
  };
  assertEquals([out.delay, out.capacity], [90_000, 5]);
  assertEquals(deepMerge({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } }), {
    a: [3],
    b: { c: 1, d: 2 },
  });
});

Deno.test("config: every error is reported, not only the first", () => {
  const text = VALID.replace("capacity: 5", "capacity: -1").replace("delay: 50ms", "delay: x");
  assertEquals(errors({ "c.yaml": text }).length, 2);
  assertThrows(() => load({ "c.yaml": text }), ConfigError, "2 problems");
});

Deno.test("redact: secret keys by name, suffix and credential headers; *_file paths are kept", () => {
  for (
    const key of [
      "password",
      "bearer_token",
      "client_secret",
      "credentials",
      "key_pem",
      "tokens",
      "Proxy_Password",
      "webhook_secret",
      "api_token",
    ]
  ) {
    assert(isSecretKey(key), key);
  }
  for (
    const key of ["password_file", "bearer_token_file", "username", "url", "key_file", "token_path"]
  ) {
    assert(!isSecretKey(key), key);
  }
  assertEquals(
    redactValue({
      basic_auth: { username: "u", password: "p", password_file: "/run/p" },
      headers: { Authorization: "Bearer x", "X-Scope-OrgID": "t" },
      tokens: ["a", "b"],
      empty: { password: "" },
    }),
    {
      basic_auth: { username: "u", password: "<secret>", password_file: "/run/p" },
      headers: { Authorization: "<secret>", "X-Scope-OrgID": "t" },
      tokens: "<secret>",
      empty: { password: "" },
    },
  );
});

Deno.test("printableConfig: defaults filled in as written, service defaults, secrets redacted", () => {
  const config = load({
    "c.yaml": VALID.replace(
      "test.processor: { value: x }",
      "test.processor: { value: x, label: client_secret }",
    ),
  });
  const printable = printableConfig(config) as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  assertEquals(printable.exporters!["test.exporter/out"]!.capacity, 5);
  assertEquals(printable.service!.shutdown_timeout as unknown, "30s");
  assertEquals((printable.service!.pipelines as Record<string, unknown>).profiles, {
    receivers: ["test.receiver/a"],
    processors: ["test.processor"],
    exporters: ["test.exporter/out"],
  });
  // Only key names decide: the value "client_secret" of `label` is not a secret.
  assertEquals(printable.processors!["test.processor"]!.label, "client_secret");
});

Deno.test("config: an Alloy (River) file given as a config says to convert it", () => {
  assertEquals(errors({ "c.yaml": `pyroscope.write "x" {}\n` }), [
    "c.yaml: the top level must be a map of sections (receivers, processors, exporters, " +
    "service), got string; this looks like a Grafana Alloy file: convert it with " +
    "`profcol convert --from=alloy c.yaml` (see docs/coming-from-alloy.md)",
  ]);
  assertEquals(
    errors({ "c.yaml": `// Alloy: send profiles\npyroscope.write "x" {\n}\n` })[0]!,
    "YAML syntax error: Implicit keys need to be on a single line; this looks like a Grafana " +
      "Alloy file: convert it with `profcol convert --from=alloy c.yaml` (see " +
      "docs/coming-from-alloy.md) (c.yaml:2)",
  );
});

Deno.test("config: an error quoting a configured secret shows <secret>", () => {
  const text = VALID.replace(
    "test.receiver/a: {}",
    'test.receiver/a: { password: "pw-hunter-77", fail_start: "pw-hunter-77" }',
  );
  const [message] = errors({ "c.yaml": text });
  assertEquals(message!.includes("pw-hunter-77"), false, message);
  assertEquals(message!.includes("<secret>"), true, message);
});
