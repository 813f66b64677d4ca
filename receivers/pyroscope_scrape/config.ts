/**
 * Config of `pyroscope.scrape`: Alloy's argument names and defaults (docs/spec/pyroscope-wire.md §8.1), plus
 * profcol's discovery (`file_sd_configs`, `http_sd_configs`, `kubernetes_sd_configs`), target
 * relabeling (once per profile type), sharding and
 * `body_size_limit`. Validation follows docs/spec/pyroscope-wire.md §8.2, checked on the *effective* delta duration.
 *
 * @module
 */

import { z } from "zod";
import { byteSizeField, durationField, intField, stringField } from "../../core/config/fields.ts";
import { relabelRulesSchema } from "../../core/relabel/mod.ts";
import { checkHttpClientConfig, httpClientConfigShape } from "../../core/http/client.ts";
import { DEFAULT_DELTA_PROFILING_MS, PROFILE_BLOCKS, resolveProfiles } from "./profiles.ts";
import { kubernetesSdConfigSchema } from "./discovery/kubernetes/config.ts";

const profileBlockSchema = (name: string) =>
  z.strictObject({
    enabled: z.boolean({ error: `${name}.enabled must be true or false` }).optional(),
    path: stringField().optional(),
    delta: z.boolean({ error: `${name}.delta must be true or false` }).optional(),
  }, { error: `${name} must be a map with enabled, path and delta` });

const customProfileSchema = z.strictObject({
  enabled: z.boolean({ error: "profile.custom enabled is required (true or false)" }),
  path: z.string({ error: "profile.custom path is required" }).min(1, {
    error: "profile.custom path must not be empty",
  }),
  delta: z.boolean({ error: "profile.custom delta must be true or false" }).default(false),
});

const profilingConfigShape: Record<string, z.ZodType> = {
  path_prefix: stringField().default(""),
  // Off by default so Alloy configs scrape as before (see probe.ts).
  probe_index: z.boolean({ error: "profiling_config.probe_index must be true or false" })
    .default(false),
  probe_interval: durationField().prefault("10m").refine((ms) => ms > 0, {
    error: "profiling_config.probe_interval must be > 0",
  }),
  "profile.custom": z.record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
      error: (issue) =>
        `profile.custom name ${JSON.stringify(issue.input)} must be a label-safe name`,
    }),
    customProfileSchema,
    { error: "profile.custom must be a map of name → { enabled, path, delta }" },
  ).default({}),
};
for (const block of PROFILE_BLOCKS) {
  profilingConfigShape[`profile.${block}`] = profileBlockSchema(`profile.${block}`).optional();
}

/** `profiling_config`: path prefix, the built-in `profile.*` blocks and `profile.custom`. */
export const profilingConfigSchema = z.strictObject(profilingConfigShape) as unknown as z.ZodType<
  ProfilingConfig,
  Partial<ProfilingConfig>
>;

/** Parsed `profiling_config`; `profile.<type>` blocks hold only what the user set. */
export interface ProfilingConfig {
  readonly path_prefix: string;
  /** Scrape only the enabled types the target's `/debug/pprof/` index lists (`probe.ts`). */
  readonly probe_index: boolean;
  /** How often a probed index is read again. */
  readonly probe_interval: number;
  readonly "profile.custom": Record<string, { enabled: boolean; path: string; delta: boolean }>;
  readonly [block: string]: unknown;
}

const labelMap = z.record(z.string(), z.string({ error: "target label values must be strings" }), {
  error: "each target must be a map of label name → string value",
});

/** `file_sd_configs` entry. */
export const fileSdConfigSchema = z.strictObject({
  files: z.array(z.string(), { error: "file_sd_configs.files must be a list of paths or globs" })
    .min(1, { error: "file_sd_configs.files must list at least one path or glob" }),
  refresh_interval: durationField().prefault("5m"),
});

/** `http_sd_configs` entry. */
export const httpSdConfigSchema = z.strictObject({
  url: z.string({ error: "http_sd_configs.url is required" }).refine((u) => {
    try {
      const url = new URL(u);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, {
    error: (issue) =>
      `http_sd_configs.url must be an http(s) URL, got ${JSON.stringify(issue.input)}`,
  }),
  refresh_interval: durationField().prefault("60s"),
  ...httpClientConfigShape,
}).superRefine((c, ctx) => checkHttpClientConfig(c, ctx));

/** Static `targets`: a list of label maps. */
export const targetListSchema = z.array(labelMap, { error: "targets must be a list of label maps" })
  .default([]);

/**
 * The `kubernetes_sd_configs` entry (input form) that watches the EndpointSlices of the
 * replicas' Service for `clustering`.
 */
export function peersDiscoveryInput(clustering: {
  service?: string;
  namespace?: string;
  kubernetes?: Readonly<Record<string, unknown>>;
}): Record<string, unknown> {
  return {
    ...clustering.kubernetes,
    role: "endpointslice",
    namespaces: clustering.namespace ? { names: [clustering.namespace] } : { own_namespace: true },
    selectors: [{
      role: "endpointslice",
      label: `kubernetes.io/service-name=${clustering.service}`,
    }],
  };
}

/** Schema of `pyroscope.scrape` (unknown keys are errors). */
export const scrapeConfigSchema = z.strictObject({
  targets: targetListSchema,
  file_sd_configs: z.array(fileSdConfigSchema).default([]),
  http_sd_configs: z.array(httpSdConfigSchema).default([]),
  kubernetes_sd_configs: z.array(kubernetesSdConfigSchema).default([]),
  relabel_configs: relabelRulesSchema.default([]),
  job_name: stringField().default(""),
  params: z.record(
    z.string(),
    z.union([z.string().transform((v) => [v]), z.array(z.string())]),
    { error: "params must be a map of name → list of values" },
  ).default({}),
  scrape_interval: durationField().prefault("15s"),
  scrape_timeout: durationField().prefault("10s"),
  delta_profiling_duration: durationField().optional(),
  scheme: z.enum(["http", "https"], {
    error: (issue) => `scheme must be "http" or "https", got ${JSON.stringify(issue.input)}`,
  }).default("http"),
  body_size_limit: byteSizeField().prefault("64MiB"),
  service_name_fallback: stringField().default("unspecified"),
  sharding: z.strictObject({
    shard_index: intField({ min: 0 }),
    total_shards: intField({ min: 0 }),
    source_labels: z.array(z.string()).default(["__address__"]),
  }).optional(),
  profiling_config: profilingConfigSchema.prefault({}),
  /**
   * Replicas share the targets by consistent hashing over the ready endpoints of their own
   * Service's EndpointSlices (see `clustering.ts`).
   */
  clustering: z.strictObject({
    enabled: z.boolean({ error: "clustering.enabled must be true or false" }),
    service: stringField().optional(),
    namespace: stringField().optional(),
    self_address: stringField().optional(),
    kubernetes: z.record(z.string(), z.unknown()).optional(),
  }).optional(),
  ...httpClientConfigShape,
}).superRefine((config, ctx) => {
  checkHttpClientConfig(config, ctx);
  const fail = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (config.clustering?.enabled) {
    const { service, self_address, kubernetes } = config.clustering;
    if (!service) {
      fail(["clustering", "service"], "clustering.service is required: the replicas' Service");
    }
    if (!self_address) {
      fail(
        ["clustering", "self_address"],
        "clustering.self_address is required: this pod's IP, e.g. ${env:POD_IP}",
      );
    }
    if (config.sharding) {
      fail(["sharding"], "sharding and clustering split targets both; use one of them");
    }
    if (service) {
      const parsed = kubernetesSdConfigSchema.safeParse(peersDiscoveryInput(config.clustering));
      for (const issue of parsed.success ? [] : parsed.error.issues) {
        const path = issue.path.map(String);
        ctx.addIssue({
          code: "custom",
          path: ["clustering", "kubernetes", ...path],
          message: issue.message.replace("kubernetes_sd_configs.", "clustering.kubernetes."),
        });
      }
      if (kubernetes && ("role" in kubernetes || "selectors" in kubernetes)) {
        fail(["clustering", "kubernetes"], "clustering.kubernetes takes no role or selectors");
      }
    }
  }
  if (config.scrape_interval <= 0) fail(["scrape_interval"], "scrape_interval must be > 0");
  if (config.scrape_timeout <= 0) {
    fail(["scrape_timeout"], "scrape_timeout must be > 0; set it to e.g. 10s");
  }
  if (config.sharding) {
    const { shard_index, total_shards } = config.sharding;
    if (total_shards < 1) fail(["sharding", "total_shards"], "sharding.total_shards must be ≥ 1");
    else if (shard_index >= total_shards) {
      fail(
        ["sharding", "shard_index"],
        `sharding.shard_index must be below total_shards (${total_shards}), got ${shard_index}`,
      );
    }
  }
  const profiles = resolveProfiles(config.profiling_config);
  const deltaOn = profiles.filter((p) => p.enabled && p.delta).map((p) => p.name);
  if (deltaOn.length === 0) return;
  const which = `(delta profiles enabled: ${deltaOn.join(", ")})`;
  if (config.scrape_interval < 2000) {
    fail(["scrape_interval"], `scrape_interval must be at least 2s ${which}`);
    return;
  }
  const effective = effectiveDeltaDuration(config);
  if (config.delta_profiling_duration !== undefined && config.delta_profiling_duration <= 1000) {
    fail(["delta_profiling_duration"], `delta_profiling_duration must be greater than 1s ${which}`);
  } else if (effective > config.scrape_interval - 1000) {
    fail(
      ["delta_profiling_duration"],
      `delta_profiling_duration must be at most scrape_interval - 1s ${which}; lower ` +
        `delta_profiling_duration or raise scrape_interval`,
    );
  }
});

/** The parsed config. */
export type ScrapeConfig = z.output<typeof scrapeConfigSchema>;

/**
 * The `seconds` a delta profile asks for (docs/spec/pyroscope-wire.md §8.4): `floor(scrape_interval) − 1s`, unless
 * `delta_profiling_duration` was set to something other than Alloy's default 14s.
 */
export function effectiveDeltaDuration(
  config: Pick<ScrapeConfig, "scrape_interval" | "delta_profiling_duration">,
): number {
  const d = config.delta_profiling_duration;
  if (d !== undefined && d !== DEFAULT_DELTA_PROFILING_MS) return Math.floor(d / 1000) * 1000;
  return (Math.floor(config.scrape_interval / 1000) - 1) * 1000;
}

/** The default config in input form. */
export function createDefaultScrapeConfig(): z.input<typeof scrapeConfigSchema> {
  return { targets: [], scrape_interval: "15s", scrape_timeout: "10s" };
}
