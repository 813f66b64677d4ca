/**
 * The shipped monitoring (`deploy/monitoring/alerts.yaml`, `deploy/monitoring/dashboard.json`):
 * `promtool check rules` accepts the rules, and every metric family their expressions use is
 * exposed by a real collector process that scrapes a target, receives a Push and writes to a
 * sink — so an alert cannot silently watch a name that does not exist.
 */

import { parse } from "yaml";
import { assertEquals } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";
import { profileBytes } from "./support/profiles.ts";
import { startSink } from "./support/strict_sink.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { LabelSet } from "../core/labels.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ALERTS = `${ROOT}deploy/monitoring/alerts.yaml`;
const DASHBOARD = `${ROOT}deploy/monitoring/dashboard.json`;

/** Families that Prometheus itself adds to every scrape, not the collector. */
const FROM_PROMETHEUS = new Set(["up"]);

const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names an expression selects: string literals, label matchers (`{...}`), ranges
 * (`[5m]`), grouping lists (`by (...)`), numbers and Grafana variables are removed first; what remains
 * that is an identifier not called as a function and not a keyword is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\w+/g, " ")
    .replace(/(?<![A-Za-z0-9_:])\d+(\.\d+)?([eE][+-]?\d+)?/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const word = match[0].replace(/\s*\($/, "");
    if (match[1] !== undefined || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** A histogram's series are `<family>_bucket`/`_sum`/`_count`: the family is what is exposed. */
function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}

function ruleExprs(): string[] {
  const rules = parse(Deno.readTextFileSync(ALERTS)) as {
    groups: { rules: { expr: string }[] }[];
  };
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(Deno.readTextFileSync(DASHBOARD)) as {
    panels: { targets: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}

Deno.test("monitoring: metric names are read from PromQL as Prometheus would", () => {
  assertEquals(
    metricNames(
      'sum by (instance, job) (rate(a_total{x="y{z}"}[5m])) / on(job) b_bucket unless c > 1.5e9',
    ),
    ["a_total", "b_bucket", "c"],
  );
  assertEquals(
    metricNames("histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))"),
    ["h_bucket"],
  );
});

Deno.test("monitoring: promtool accepts the alert rules", async () => {
  const found = await new Deno.Command("promtool", { args: ["--version"], stdout: "null" })
    .output().then(() => true, () => false);
  if (!found) {
    if (Deno.env.get("CI")) throw new Error("promtool is missing (Debian's prometheus package)");
    console.log("skipped: promtool is not installed (apt-get install prometheus); CI requires it");
    return;
  }
  const out = await new Deno.Command("promtool", {
    args: ["check", "rules", ALERTS],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals({ code: out.code, success: /SUCCESS: \d+ rules found/.test(text) }, {
    code: 0,
    success: true,
  }, text);
});

Deno.test("monitoring: every metric the alerts and the dashboard use exists", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-monitoring-" });
  const sink = await startSink();
  const target = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(profileBytes(7) as BodyInit),
  );
  const text = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
  pyroscope.scrape/app:
    targets: [{ __address__: "127.0.0.1:${target.addr.port}", service_name: app }]
    scrape_interval: 1s
    profiling_config:
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
      profile.process_cpu: { enabled: false }
exporters:
  pyroscope.write/out:
    endpoint: [{ name: main, url: ${sink.url} }]
service:
  pipelines:
    all:
      receivers: [pyroscope.receive_http/in, pyroscope.scrape/app]
      exporters: [pyroscope.write/out]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`;
  const proc = new Profcol(["run", "--config", tempConfig(text, dir)], { entry: "main.ts" });
  try {
    const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/, 20_000))[1]!;
    const admin = await proc.adminUrl();
    const push = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: encodePushRequest([{
        labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc" }),
        samples: [{ rawProfile: profileBytes(1) }],
      }]) as BodyInit,
    });
    await push.body?.cancel();
    assertEquals(push.status, 200);
    await sink.waitFor(1);
    const exposed = new Set(
      (await (await fetch(`${admin}/metrics`)).text()).split("\n")
        .filter((line) => line.startsWith("# TYPE "))
        .map((line) => line.split(" ")[2]!),
    );
    const used = new Set(
      [...ruleExprs(), ...dashboardExprs()].flatMap(metricNames).map(family)
        .filter((name) => !FROM_PROMETHEUS.has(name)),
    );
    assertEquals([...used].filter((name) => !exposed.has(name)), [], "used but not exposed");
  } finally {
    await proc.kill();
    await target.shutdown();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
