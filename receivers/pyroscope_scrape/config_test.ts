import { assert, assertEquals } from "../../tests/support/assert.ts";
import { parse as parseYaml } from "yaml";
import { componentConformance } from "../../core/testing/conformance.ts";
import { scrapeConfigSchema } from "./config.ts";
import { pyroscopeScrapeReceiverFactory } from "./mod.ts";
import { resolveProfiles } from "./profiles.ts";

componentConformance(pyroscopeScrapeReceiverFactory, {
  config: { targets: [{ __address__: "127.0.0.1:9", service_name: "none" }] },
});

const errorOf = (config: unknown): string => {
  const result = scrapeConfigSchema.safeParse(config);
  if (result.success) throw new Error("config was accepted");
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
};

Deno.test("defaults follow Alloy's code (spec 8.1)", () => {
  const c = scrapeConfigSchema.parse({});
  assertEquals(c.scrape_interval, 15_000);
  assertEquals(c.scrape_timeout, 10_000);
  assertEquals(c.delta_profiling_duration, undefined);
  assertEquals(c.scheme, "http");
  assertEquals(c.follow_redirects, true);
  assertEquals(c.enable_http2, true);
  assertEquals(c.body_size_limit, 64 * 1024 * 1024);
  assertEquals(c.service_name_fallback, "unspecified");
  const enabled = resolveProfiles(c.profiling_config).filter((p) => p.enabled).map((p) => p.name);
  assertEquals(enabled, ["memory", "block", "goroutine", "mutex", "process_cpu"]);
});

Deno.test("a present profile block overrides only what it sets; custom profiles", () => {
  const c = scrapeConfigSchema.parse({
    profiling_config: {
      path_prefix: "/p",
      "profile.memory": { path: "/mem" },
      "profile.fgprof": { enabled: true },
      "profile.custom": { my_type: { enabled: true, path: "/x", delta: true } },
    },
  });
  const profiles = Object.fromEntries(resolveProfiles(c.profiling_config).map((p) => [p.name, p]));
  assertEquals(profiles.memory, { name: "memory", enabled: true, path: "/mem", delta: false });
  assertEquals(profiles.fgprof, {
    name: "fgprof",
    enabled: true,
    path: "/debug/fgprof",
    delta: true,
  });
  assertEquals(profiles.my_type, { name: "my_type", enabled: true, path: "/x", delta: true });
  assert(
    /profile\.memory/.test(errorOf({ profiling_config: { "profile.memory": { enable: true } } })),
  );
  assert(
    /path is required/.test(
      errorOf({ profiling_config: { "profile.custom": { a: { enabled: true } } } }),
    ),
  );
});

Deno.test("validation rules of spec 8.2 name the setting to change", () => {
  assert(/scrape_timeout must be > 0/.test(errorOf({ scrape_timeout: "0s" })));
  assert(
    /scrape_interval must be at least 2s.*process_cpu/.test(errorOf({ scrape_interval: "1s" })),
  );
  assert(/greater than 1s/.test(errorOf({ delta_profiling_duration: "1s" })));
  assert(
    /lower delta_profiling_duration or raise scrape_interval/.test(
      errorOf({ scrape_interval: "10s", delta_profiling_duration: "12s" }),
    ),
  );
  // The effective duration is checked: the default 14s behaves like "not set" (Alloy would fail).
  assert(scrapeConfigSchema.safeParse({ scrape_interval: "10s" }).success);
  // No delta profile enabled: a short interval is fine.
  assert(
    scrapeConfigSchema.safeParse({
      scrape_interval: "1s",
      profiling_config: { "profile.process_cpu": { enabled: false } },
    }).success,
  );
  assert(/clustering.service is required/.test(errorOf({ clustering: { enabled: true } })));
  assert(
    /clustering.self_address is required/.test(
      errorOf({ clustering: { enabled: true, service: "profcol" } }),
    ),
  );
  assert(
    /api_server must be an http\(s\) URL/.test(errorOf({
      clustering: {
        enabled: true,
        service: "profcol",
        self_address: "127.0.1.1",
        kubernetes: { api_server: "ftp://x" },
      },
    })),
  );
  assert(
    /sharding and clustering/.test(errorOf({
      clustering: { enabled: true, service: "profcol", self_address: "127.0.1.1" },
      sharding: { shard_index: 0, total_shards: 2 },
    })),
  );
  assert(scrapeConfigSchema.safeParse({ clustering: { enabled: false } }).success);
  assert(/Cannot parse "15x" as a duration/.test(errorOf({ scrape_interval: "15x" })));
  assert(/scheme must be "http" or "https"/.test(errorOf({ scheme: "ftp" })));
  assert(/body_size_limit/.test(errorOf({ body_size_limit: "lots" })));
  assertEquals(scrapeConfigSchema.parse({ body_size_limit: "10MB" }).body_size_limit, 10_000_000);
});

Deno.test("http client options: mutually exclusive auth, TLS pairs", () => {
  assert(/at most one of/.test(errorOf({ bearer_token: "a", basic_auth: { username: "u" } })));
  assert(/bearer_token_file/.test(errorOf({ bearer_token: "a", bearer_token_file: "/f" })));
  assert(/both be set/.test(errorOf({ tls_config: { cert_pem: "x" } })));
  const c = scrapeConfigSchema.parse({ http_headers: { "X-A": "1", "X-B": ["2", "3"] } });
  assertEquals(c.http_headers, { "X-A": ["1"], "X-B": ["2", "3"] });
});

Deno.test("sharding accepts expanded env strings and checks the range", () => {
  const c = scrapeConfigSchema.parse({ sharding: { shard_index: "2", total_shards: "3" } });
  assertEquals(c.sharding, { shard_index: 2, total_shards: 3, source_labels: ["__address__"] });
  assert(/below total_shards/.test(errorOf({ sharding: { shard_index: 3, total_shards: 3 } })));
  assert(/whole number/.test(errorOf({ sharding: { shard_index: "x", total_shards: 3 } })));
});

Deno.test("discovery blocks: defaults and URL check", () => {
  const c = scrapeConfigSchema.parse({
    file_sd_configs: [{ files: ["/tmp/*.json"] }],
    http_sd_configs: [{ url: "http://127.0.0.1:1/sd" }],
  });
  assertEquals(c.file_sd_configs[0]!.refresh_interval, 300_000);
  assertEquals(c.http_sd_configs[0]!.refresh_interval, 60_000);
  assert(/http\(s\) URL/.test(errorOf({ http_sd_configs: [{ url: "ftp://x" }] })));
});

Deno.test("README example and testdata configs", async () => {
  const readme = await Deno.readTextFile(new URL("./README.md", import.meta.url));
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseYaml(m[1]!));
  const full = blocks.find((b) => b?.receivers?.["pyroscope.scrape/example"]);
  assert(full, "README has a full example under receivers: pyroscope.scrape/example");
  scrapeConfigSchema.parse(full.receivers["pyroscope.scrape/example"]);
  const valid = parseYaml(
    await Deno.readTextFile(new URL("./testdata/valid.yaml", import.meta.url)),
  );
  scrapeConfigSchema.parse(valid);
  const typo = parseYaml(await Deno.readTextFile(new URL("./testdata/typo.yaml", import.meta.url)));
  assert(/scrape_intervall|Unrecognized/i.test(errorOf(typo)));
});

Deno.test("probe_index is off by default (Alloy configs scrape as before); probe_interval 10m", () => {
  const c = scrapeConfigSchema.parse({});
  assertEquals(
    [c.profiling_config.probe_index, c.profiling_config.probe_interval],
    [false, 600_000],
  );
  const on = scrapeConfigSchema.parse({
    profiling_config: { probe_index: true, probe_interval: "1m" },
  });
  assertEquals([on.profiling_config.probe_index, on.profiling_config.probe_interval], [
    true,
    60_000,
  ]);
  assertEquals(
    errorOf({ profiling_config: { probe_index: "yes" } }),
    "profiling_config.probe_index: profiling_config.probe_index must be true or false",
  );
});
