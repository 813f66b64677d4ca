import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../../core/labels.ts";
import { scrapeConfigSchema } from "./config.ts";
import { buildScrapeTargets, defaultJobName, exportLabels, TargetError } from "./targets.ts";
import { addressPort, buildScrapeUrl, cleanPath, encodeQuery, joinUrlPath } from "./url.ts";

const build = (labels: Record<string, string>, config: Record<string, unknown> = {}) => {
  const parsed = scrapeConfigSchema.parse(config);
  const base = LabelSet.from(labels);
  return buildScrapeTargets(base, base, { config: parsed, componentId: "pyroscope.scrape/t" });
};
const byType = (targets: ReturnType<typeof build>) =>
  Object.fromEntries(targets.map((t) => [t.profileType, t]));

Deno.test("URL builder: the spec's TestProfileURL examples", () => {
  assertEquals(
    buildScrapeUrl("http", "localhost:9090", "", "/debug/pprof/profile", { seconds: ["14"] }),
    "http://localhost:9090/debug/pprof/profile?seconds=14",
  );
  const prefixed = build({
    __address__: "127.0.0.1:4100",
    __profile_path_prefix__: "/mimir-prometheus",
  }, { scheme: "https" });
  assertEquals(
    byType(prefixed).memory!.url,
    "https://127.0.0.1:4100/mimir-prometheus/debug/pprof/allocs",
  );
  assertEquals(
    byType(build({ __address__: "localhost" }, { scheme: "https" })).block!.url,
    "https://localhost:443/debug/pprof/block",
  );
});

Deno.test("URL builder: JoinPath cleaning, trailing slash, sorted Go query encoding", () => {
  assertEquals(joinUrlPath("", "/debug/pprof/allocs"), "/debug/pprof/allocs");
  assertEquals(joinUrlPath("/a//b/", "../c/./d"), "/a/c/d");
  assertEquals(joinUrlPath("prefix", "x/"), "/prefix/x/");
  assertEquals(joinUrlPath("", "/../../etc"), "/etc");
  assertEquals(cleanPath("a/../../b"), "../b");
  assertEquals(
    encodeQuery({ z: ["1"], a: ["x y", "*"], "b&": ["é"] }),
    "a=x+y&a=%2A&b%26=%C3%A9&z=1",
  );
});

Deno.test("default ports: http → 80, https → 443; IPv6 and explicit ports untouched", () => {
  assertEquals(
    byType(build({ __address__: "app" })).goroutine!.labels.get("__address__"),
    "app:80",
  );
  assertEquals(
    byType(build({ __address__: "[::1]" })).goroutine!.url.startsWith("http://[::1]:80/"),
    true,
  );
  assertEquals(
    byType(build({ __address__: "app:6060" })).goroutine!.labels.get("instance"),
    "app:6060",
  );
  assertEquals(addressPort("::1"), "invalid");
  assertEquals(addressPort("[::1]:1"), "port");
});

Deno.test("label rules: profile labels, job default, scheme, instance, every enabled type", () => {
  const targets = byType(build({ __address__: "app:6060", service_name: "api" }));
  assertEquals(Object.keys(targets).sort(), [
    "block",
    "goroutine",
    "memory",
    "mutex",
    "process_cpu",
  ]);
  const cpu = targets.process_cpu!;
  assertEquals(cpu.labels.get("__name__"), "process_cpu");
  assertEquals(cpu.labels.get("__profile_path__"), "/debug/pprof/profile");
  assertEquals(cpu.labels.get("__scheme__"), "http");
  assertEquals(cpu.labels.get("job"), "pyroscope.scrape.t");
  assertEquals(cpu.labels.get("instance"), "app:6060");
  assertEquals(cpu.url, "http://app:6060/debug/pprof/profile?seconds=14");
  assertEquals(cpu.timeoutMs, 10_000 + 14_000);
  assertEquals(targets.memory!.timeoutMs, 10_000);
  assert(targets.memory!.clientDelta && !cpu.clientDelta && !targets.goroutine!.clientDelta);
  // Private labels travel with the profile (processors may use them); exporters drop them.
  assertEquals(
    exportLabels(cpu.labels).toRecord(),
    {
      __address__: "app:6060",
      __name__: "process_cpu",
      __profile_path__: "/debug/pprof/profile",
      __scheme__: "http",
      instance: "app:6060",
      job: "pyroscope.scrape.t",
      service_name: "api",
    },
  );
  const named = byType(build({ __address__: "a:1", job: "mine" }, { job_name: "cfg" }));
  assertEquals(named.memory!.labels.get("job"), "mine");
  assertEquals(
    byType(build({ __address__: "a:1" }, { job_name: "cfg" })).memory!.labels.get("job"),
    "cfg",
  );
});

Deno.test("job default is Alloy's component id: pyroscope.scrape.<name>, or pyroscope.scrape unnamed", () => {
  assertEquals(defaultJobName("pyroscope.scrape/local"), "pyroscope.scrape.local");
  assertEquals(defaultJobName("pyroscope.scrape/a/b"), "pyroscope.scrape.a/b");
  assertEquals(defaultJobName("pyroscope.scrape"), "pyroscope.scrape");
});

Deno.test("a target's own __name__ or __profile_path__ applies to every type and collapses loops", () => {
  const targets = build({ __address__: "a:1", __profile_path__: "/custom" });
  assert(targets.every((t) => t.url.startsWith("http://a:1/custom")));
  const one = build({ __address__: "a:1", __name__: "goroutine", __profile_path__: "/g" });
  assertEquals(one.length, 1);
  assertEquals(one[0]!.profileType, "goroutine");
});

Deno.test("params: config params win over __param_ labels; never mutated across targets", () => {
  const config = { params: { foo: ["bar", "baz"] } };
  const parsed = scrapeConfigSchema.parse(config);
  for (let i = 0; i < 3; i++) {
    const base = LabelSet.from({ __address__: "a:1", __param_foo: "target" });
    const t = buildScrapeTargets(base, base, { config: parsed, componentId: "x" });
    const cpu = t.find((x) => x.profileType === "process_cpu")!;
    assertEquals(cpu.labels.get("__param_foo"), "bar");
    assertEquals(cpu.url, "http://a:1/debug/pprof/profile?foo=bar&foo=baz&seconds=14");
    const mem = t.find((x) => x.profileType === "memory")!;
    assertEquals(mem.url, "http://a:1/debug/pprof/allocs?foo=bar&foo=baz");
  }
  assertEquals(parsed.params, { foo: ["bar", "baz"] });
  const own = byType(build({ __address__: "a:1", __param_debug: "1" }));
  assertEquals(own.goroutine!.url, "http://a:1/debug/pprof/goroutine?debug=1");
});

Deno.test("seconds rule: interval − 1s unless delta_profiling_duration differs from 14s", () => {
  const cpu = (config: Record<string, unknown>) =>
    byType(build({ __address__: "a:1" }, config)).process_cpu!;
  assertEquals(cpu({ scrape_interval: "10s" }).url.endsWith("seconds=9"), true);
  assertEquals(
    cpu({ scrape_interval: "10s", delta_profiling_duration: "14s" }).url.endsWith("seconds=9"),
    true,
  );
  assertEquals(
    cpu({ scrape_interval: "30s", delta_profiling_duration: "20s" }).url.endsWith("seconds=20"),
    true,
  );
  assertEquals(
    cpu({ scrape_interval: "30s", delta_profiling_duration: "20s" }).timeoutMs,
    10_000 + 29_000,
  );
  assertEquals(cpu({ scrape_interval: "2500ms" }).url.endsWith("seconds=1"), true);
  const withSecondsLabel = byType(build({ __address__: "a:1", __param_seconds: "3" })).memory!;
  assertEquals(withSecondsLabel.timeoutMs, 10_000 + 14_000);
});

Deno.test("godeltaprof types keep their name (as Alloy sends them) and skip the client-side delta", () => {
  const targets = build({ __address__: "a:1" }, {
    profiling_config: {
      "profile.godeltaprof_memory": { enabled: true },
      "profile.memory": { enabled: false },
    },
  });
  const mem = targets.find((t) => t.url.includes("delta_heap"))!;
  assertEquals(mem.profileType, "godeltaprof_memory");
  assertEquals(mem.labels.get("__name__"), "godeltaprof_memory");
  assertEquals(mem.clientDelta, false);
});

// The inference order itself is core/pyroscope_labels/rules_test.ts's.
Deno.test("service_name inferred from discovery metadata, else the fallback", () => {
  const pod = build({
    __address__: "a:1",
    __meta_kubernetes_namespace: "ns",
    __meta_kubernetes_pod_container_name: "c",
  });
  assert(pod.every((t) => t.labels.get("service_name") === "ns/c" && !t.serviceNameFallback));
  const fallback = build({ __address__: "a:1" });
  assert(
    fallback.every((t) => t.labels.get("service_name") === "unspecified" && t.serviceNameFallback),
  );
  const custom = build({ __address__: "a:1" }, { service_name_fallback: "unknown-svc" });
  assertEquals(custom[0]!.labels.get("service_name"), "unknown-svc");
  const given = build({ __address__: "a:1", service_name: "", __meta_docker_container_name: "/d" });
  assertEquals(given[0]!.labels.get("service_name"), "/d");
  assertEquals(given[0]!.serviceNameFallback, false);
});

Deno.test("bad targets: missing address, path in address, bad scheme, bad UTF-8", () => {
  assertThrows(() => build({ job: "x" }), TargetError, /__address__/);
  assertThrows(() => build({ __address__: "a:1/path" }), Error, /must be host:port/);
  assertThrows(() => build({ __address__: "a", __scheme__: "ftp" }), Error, /__scheme__ "ftp"/);
  assertThrows(() => build({ __address__: "a:1", bad: "\ud800" }), Error, /not valid UTF-8/);
});

Deno.test("identity: private label changes keep the key; public ones change it", () => {
  const a = build({ __address__: "a:1", __type__: "x", env: "prod" })[0]!;
  const b = build({ __address__: "a:1", __type__: "y", env: "prod" })[0]!;
  const c = build({ __address__: "a:1", env: "dev" })[0]!;
  assertEquals(a.key, b.key);
  assert(a.key !== c.key);
});
