/**
 * Config of the `otlp` receiver, in the OpenTelemetry Collector's shape
 * (`protocols: { http: { endpoint } }`), plus profcol's limits and tenant pass-through.
 *
 * `protocols.grpc` is refused at validation: Deno's HTTP server cannot send the HTTP trailers
 * gRPC needs (see the README).
 *
 * @module
 */

import { z } from "zod";
import { tenantConfigSchema } from "../../core/http/tenant.ts";
import { byteSizeField, durationField, intField, stringField } from "../../core/config/fields.ts";
import {
  DEFAULT_CONN_LIMIT,
  DEFAULT_MAX_SERIES_PER_REQUEST,
  slowClientShape,
  tlsServerConfigSchema,
} from "../../core/http/server_config.ts";

/** The OpenTelemetry Collector's OTLP/HTTP port, bound to loopback like profcol's defaults. */
export const DEFAULT_ENDPOINT = "127.0.0.1:4318";

/** Splits `host:port` (`[v6]:port`, `:port` = every interface); `undefined` when malformed. */
export function parseEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(endpoint.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

const GRPC_NOT_SERVED = "protocols.grpc is not served: Deno's HTTP server cannot send the HTTP " +
  "trailers gRPC needs. Send OTLP over HTTP instead (protocols.http, port 4318; in an " +
  "OpenTelemetry Collector use the otlphttp exporter, in an SDK OTEL_EXPORTER_OTLP_PROTOCOL=" +
  "http/protobuf)";

const httpProtocolSchema = z.strictObject({
  /** `host:port` to listen on. */
  endpoint: stringField().default(DEFAULT_ENDPOINT).refine(
    (value) => parseEndpoint(value) !== undefined,
    { error: "endpoint must be host:port (e.g. 127.0.0.1:4318, 0.0.0.0:4318, [::1]:4318)" },
  ),
  /** The path profiles are posted to. */
  profiles_url_path: stringField().regex(/^\//, "profiles_url_path must start with /").default(
    "/v1development/profiles",
  ),
  /** Largest request body, before and after gzip decoding; larger → 413. */
  max_request_body_size: byteSizeField().prefault("20MiB"),
  /** Concurrent requests allowed; 0 means no limit. */
  conn_limit: intField({ min: 0 }).default(DEFAULT_CONN_LIMIT),
  server_read_timeout: durationField().prefault("30s"),
  server_write_timeout: durationField().prefault("30s"),
  server_idle_timeout: durationField().prefault("120s"),
  ...slowClientShape(),
  tls: tlsServerConfigSchema.optional(),
});

/** The whole config of the `otlp` receiver. */
export const otlpReceiverConfigSchema = z.strictObject({
  protocols: z.strictObject({
    // `http:` with nothing under it (YAML null) means the defaults, as in the Collector.
    http: z.preprocess((value) => value ?? {}, httpProtocolSchema).prefault({}),
    grpc: z.unknown().optional(),
  }).superRefine((protocols, ctx) => {
    if (protocols.grpc !== undefined) {
      ctx.addIssue({ code: "custom", path: ["grpc"], message: GRPC_NOT_SERVED });
    }
  }).prefault({}),
  /** Profiles one request may carry; more → 413 before anything is converted or reserved. */
  max_series_per_request: intField({ min: 0 }).default(DEFAULT_MAX_SERIES_PER_REQUEST),
  /** Requests handled at once; more → 429 with `Retry-After`. 0 = no limit. */
  max_requests_in_flight: intField({ min: 0 }).default(64),
  /**
   * How long clients are told to wait in `Retry-After` (a duration like every other; the header
   * carries whole seconds, at least 1).
   */
  retry_after: durationField({ allowZero: false }).prefault("1s"),
  tenant: tenantConfigSchema.prefault({}),
});

/** The parsed config. */
export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;

/** The default config as a user would write it. */
export function createDefaultOtlpReceiverConfig(): z.input<typeof otlpReceiverConfigSchema> {
  return { protocols: { http: { endpoint: DEFAULT_ENDPOINT } } };
}
