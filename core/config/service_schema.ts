/**
 * Schema of the `service` section: pipelines, telemetry (logs and the admin server) and the
 * shutdown deadline.
 *
 * ```yaml
 * service:
 *   pipelines:
 *     profiles: { receivers: [...], processors: [...], exporters: [...] }
 *   telemetry:
 *     logs: { level: info, format: logfmt }
 *     http:
 *       listen_address: 127.0.0.1
 *       listen_port: 12345
 *       bearer_token_file: /var/run/secrets/profcol/admin-token  # or bearer_token
 *       require_token_for_all: false
 *       allowed_hosts: [profcol.example.com]
 *       allowed_origins: [https://grafana.example.com]
 *     console: { profiles_memory: 16MiB }
 *     live_debugging: { enabled: false }
 *   shutdown_timeout: 30s
 *   workers: 4            # default: the CPUs available to the process (cgroup-aware)
 *   delta_memory: 256MiB
 * ```
 *
 * @module
 */

import { z } from "zod";
import { byteSizeField, durationField, nonEmptyString, portField } from "./fields.ts";
import { DEFAULT_DELTA_MEMORY } from "../../pprof/delta_memory.ts";

const componentList = (what: string) =>
  z.array(z.string({ error: `Expected a ${what} id such as "type" or "type/name"` }), {
    error: `Expected a list of ${what} ids`,
  }).default([]);

/** One pipeline: receivers feed processors (in list order) which feed every exporter. */
export const pipelineSchema = z.strictObject({
  receivers: componentList("receiver"),
  processors: componentList("processor"),
  exporters: componentList("exporter"),
});

const hostList = z.array(nonEmptyString(), { error: "Expected a list of host names" });

const ADMIN_HTTP_DEFAULTS = {
  listen_address: "127.0.0.1",
  listen_port: 12345,
  require_token_for_all: false,
  allowed_hosts: [],
  allowed_origins: [],
};

/**
 * `service.telemetry.http`: the admin server's address and guard (`core/admin/guard.ts`).
 * With a token (`bearer_token`, or `bearer_token_file` re-read when it changes and on reload),
 * `/-/reload` and `/debug/pprof/*` need `Authorization: Bearer <token>`; with
 * `require_token_for_all` every endpoint does except `/-/healthy` and `/-/ready`.
 * `allowed_hosts`/`allowed_origins` extend the accepted `Host` and `Origin` values beyond
 * loopback names, IP addresses and the listen address (`"*"` accepts any).
 */
export const adminHttpSchema = z.strictObject({
  listen_address: nonEmptyString().default("127.0.0.1"),
  listen_port: portField().default(12345),
  bearer_token: nonEmptyString().optional(),
  bearer_token_file: nonEmptyString().optional(),
  require_token_for_all: z.boolean().default(false),
  allowed_hosts: hostList.default([]),
  allowed_origins: hostList.default([]),
}).superRefine((http, ctx) => {
  if (http.bearer_token !== undefined && http.bearer_token_file !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["bearer_token_file"],
      message: "bearer_token and bearer_token_file are mutually exclusive",
    });
  }
  if (
    http.require_token_for_all && http.bearer_token === undefined &&
    http.bearer_token_file === undefined
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["require_token_for_all"],
      message: "require_token_for_all needs bearer_token or bearer_token_file",
    });
  }
});

/** `service.telemetry`. */
export const telemetrySchema = z.strictObject({
  logs: z.strictObject({
    level: z.enum(["debug", "info", "warn", "error"], {
      error: (issue) =>
        `Expected one of debug, info, warn, error, got ${JSON.stringify(issue.input)}`,
    }).default("info"),
    format: z.enum(["logfmt", "json"], {
      error: (issue) => `Expected logfmt or json, got ${JSON.stringify(issue.input)}`,
    }).default("logfmt"),
  }).default({ level: "info", format: "logfmt" }),
  http: adminHttpSchema.default(ADMIN_HTTP_DEFAULTS),
  /**
   * The operator console on the admin server: the last profiles of each series are kept as
   * raw bytes (decoded only when a flame graph is asked for) within `profiles_memory`
   * (0 keeps none).
   */
  console: z.strictObject({
    profiles_memory: byteSizeField().default(16 * 1024 * 1024),
  }).default({ profiles_memory: 16 * 1024 * 1024 }),
  /** `/components/<id>/live`: streams the items passing a component (shows label values). */
  live_debugging: z.strictObject({
    enabled: z.boolean().default(false),
  }).default({ enabled: false }),
});

/** The whole `service` section. */
export const serviceSchema = z.strictObject({
  pipelines: z.record(z.string(), pipelineSchema).default({}),
  telemetry: telemetrySchema.default({
    logs: { level: "info", format: "logfmt" },
    http: ADMIN_HTTP_DEFAULTS,
    console: { profiles_memory: 16 * 1024 * 1024 },
    live_debugging: { enabled: false },
  }),
  /**
   * How long a graceful shutdown (SIGINT/SIGTERM) may take: receivers stop, processors drain,
   * exporters flush or persist. Past it the process exits with status 1.
   */
  shutdown_timeout: durationField().default(30_000),
  /**
   * Worker threads for CPU-heavy work (scrapes: fetch, validation, delta, gzip). Unset means
   * the CPUs available to the process (cgroup quota aware, `core/workers/cpus.ts`); 1 runs
   * everything on the main thread. Read at start; a reload does not resize the pool.
   */
  workers: z.number({ error: "Expected a whole number of worker threads (1 or more)" })
    .int({ error: "Expected a whole number of worker threads (1 or more)" })
    .min(1, { error: "Expected a whole number of worker threads (1 or more)" })
    .max(256, { error: "Expected at most 256 worker threads" })
    .optional(),
  /**
   * One budget for the client-side delta state of every scrape target (memory, block, mutex):
   * past it, state is spilled to disk (and read back at the next scrape) rather than grown.
   */
  delta_memory: byteSizeField().default(DEFAULT_DELTA_MEMORY),
});

/** The validated `service` section. */
export type ServiceConfig = z.output<typeof serviceSchema>;
/** One validated pipeline. */
export type PipelineConfig = z.output<typeof pipelineSchema>;

/** The `service` defaults as a user would write them (for `print-config`). */
export function defaultServiceConfig(): Record<string, unknown> {
  return {
    pipelines: {},
    telemetry: {
      logs: { level: "info", format: "logfmt" },
      http: { ...ADMIN_HTTP_DEFAULTS, allowed_hosts: [], allowed_origins: [] },
      console: { profiles_memory: "16MiB" },
      live_debugging: { enabled: false },
    },
    shutdown_timeout: "30s",
    delta_memory: "256MiB",
  };
}
