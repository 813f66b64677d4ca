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
 *     http: { listen_address: 127.0.0.1, listen_port: 12345 }
 *     console: { profiles_memory: 16MiB }
 *     live_debugging: { enabled: false }
 *   shutdown_timeout: 30s
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
  http: z.strictObject({
    listen_address: nonEmptyString().default("127.0.0.1"),
    listen_port: portField().default(12345),
  }).default({ listen_address: "127.0.0.1", listen_port: 12345 }),
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
    http: { listen_address: "127.0.0.1", listen_port: 12345 },
    console: { profiles_memory: 16 * 1024 * 1024 },
    live_debugging: { enabled: false },
  }),
  /**
   * How long a graceful shutdown (SIGINT/SIGTERM) may take: receivers stop, processors drain,
   * exporters flush or persist. Past it the process exits with status 1.
   */
  shutdown_timeout: durationField().default(30_000),
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
      http: { listen_address: "127.0.0.1", listen_port: 12345 },
      console: { profiles_memory: "16MiB" },
      live_debugging: { enabled: false },
    },
    shutdown_timeout: "30s",
    delta_memory: "256MiB",
  };
}
