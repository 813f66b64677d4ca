/**
 * Config of `pyroscope.write`: Alloy's arguments and defaults (docs/spec/pyroscope-wire.md §4.1) — `external_labels`
 * and a list of `endpoint` blocks carrying the shared HTTP client options of `core/http` —
 * plus profcol's `queue` block (bounds, senders, batching, spool) from `core/delivery`.
 *
 * @module
 */

import { z } from "zod";
import { durationField, intField, stringField } from "../../core/config/fields.ts";
import { checkHttpClientConfig, httpClientConfigShape } from "../../core/http/client.ts";
import { queueConfigSchema } from "../../core/delivery/queue_config.ts";

const endpointSchema = z.strictObject({
  url: z.string({ error: "endpoint.url is required (the Pyroscope base URL)" }),
  name: stringField().default(""),
  remote_timeout: durationField({ allowZero: false }).default(10_000),
  headers: z.record(z.string(), z.string(), {
    error: "endpoint.headers must be a map of header name → value",
  }).default({}),
  min_backoff_period: durationField({ allowZero: false }).default(500),
  max_backoff_period: durationField().default(300_000),
  /** 0 retries forever. */
  max_backoff_retries: intField({ min: 0 }).default(10),
  retry_on_http_429: z.boolean({ error: "retry_on_http_429 must be true or false" }).default(true),
  /** `connect`: Connect `Push`; `otlp`: OTLP profiles at `<url>/v1development/profiles`. */
  protocol: z.enum(["connect", "otlp"], { error: "protocol must be connect or otlp" }).default(
    "connect",
  ),
  ...httpClientConfigShape,
}).superRefine((endpoint, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(endpoint.url);
  } catch {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: `Cannot parse 'url': ${JSON.stringify(endpoint.url)} is not a URL`,
    });
  }
  if (url && url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: `url must be http:// or https://, got ${JSON.stringify(endpoint.url)}`,
    });
  }
  if (url && (url.search !== "" || url.hash !== "")) {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: "url must not carry a query or fragment; it is a base URL",
    });
  }
  if (endpoint.max_backoff_period < endpoint.min_backoff_period) {
    ctx.addIssue({
      code: "custom",
      path: ["max_backoff_period"],
      message: "max_backoff_period must not be less than min_backoff_period",
    });
  }
  checkHttpClientConfig(endpoint, ctx);
});

/** One parsed `endpoint` block. */
export type EndpointConfig = z.output<typeof endpointSchema>;

/** The `pyroscope.write` config schema. */
export const pyroscopeWriteConfigSchema = z.strictObject({
  external_labels: z.record(z.string(), z.string(), {
    error: "external_labels must be a map of label name → value",
  }).default({}),
  endpoint: z.array(endpointSchema, { error: "endpoint must be a list of endpoint blocks" })
    .default([]),
  queue: queueConfigSchema.default(queueConfigSchema.parse({})),
}).superRefine((config, ctx) => {
  const seen = new Map<string, number>();
  config.endpoint.forEach((endpoint, index) => {
    const key = endpointKey(endpoint);
    const previous = seen.get(key);
    if (previous !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint", index, "name"],
        message:
          `endpoint ${index} has the same url and name as endpoint ${previous}; give one a distinct name`,
      });
    }
    seen.set(key, index);
  });
  for (const name of Object.keys(config.external_labels)) {
    if (!/^[A-Za-z0-9_.]+$/.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: ["external_labels", name],
        message: `external label name ${JSON.stringify(name)} may only use A-Z, a-z, 0-9, _ and .`,
      });
    }
  }
});

/** The parsed config. */
export type PyroscopeWriteConfig = z.output<typeof pyroscopeWriteConfigSchema>;

/** The endpoint as named in metrics, logs and the spool: `name`, or the URL without credentials. */
export function endpointLabel(endpoint: EndpointConfig): string {
  if (endpoint.name !== "") return endpoint.name;
  try {
    const url = new URL(endpoint.url);
    url.username = "";
    url.password = "";
    return url.toString().replace(/\/$/, "");
  } catch {
    return endpoint.url;
  }
}

/** A stable identity of an endpoint (spool sub-directory). */
export function endpointKey(endpoint: EndpointConfig): string {
  return `${endpointLabel(endpoint)}|${endpoint.url}`;
}
