/**
 * Config of `pyroscope.receive_http`: Alloy's `http` block, plus what Alloy lacks — a `tls`
 * block, body and concurrency limits, inbound auth and tenant pass-through.
 *
 * @module
 */

import { z } from "zod";
import { byteSize } from "../../core/byte_size.ts";
import { httpServerConfigSchema, tlsServerConfigSchema } from "../../core/http/server_config.ts";

const str = (field: string) => z.string({ error: `${field} must be a string` });

/** `auth.basic_auth` entries: accepted users. */
const basicAuthUserSchema = z.strictObject({
  username: str("auth.basic_auth.username").min(1, "auth.basic_auth.username must not be empty"),
  password: str("auth.basic_auth.password").min(1, "auth.basic_auth.password must not be empty"),
});

/**
 * Inbound authentication. When any user or token is configured, every request must carry a
 * matching `Authorization` header (HTTP Basic or Bearer) or gets 401.
 */
export const authConfigSchema = z.strictObject({
  basic_auth: z.array(basicAuthUserSchema, {
    error: "auth.basic_auth must be a list of {username, password}",
  }).default([]),
  bearer_tokens: z.array(str("auth.bearer_tokens[]").min(1, "bearer tokens must not be empty"), {
    error: "auth.bearer_tokens must be a list of strings",
  }).default([]),
});

/**
 * Tenant pass-through: the value of `from_header` on a request becomes the label `label` on
 * its items (`pyroscope.write` turns `__tenant_id__` back into `X-Scope-OrgID` and strips it).
 */
export const tenantConfigSchema = z.strictObject({
  enabled: z.boolean({ error: "tenant.enabled must be true or false" }).default(true),
  from_header: str("tenant.from_header").min(1, "tenant.from_header must not be empty")
    .default("X-Scope-OrgID"),
  label: str("tenant.label").regex(
    /^[A-Za-z_][A-Za-z0-9_.]*$/,
    "tenant.label must be a label name ([A-Za-z_][A-Za-z0-9_.]*)",
  ).default("__tenant_id__"),
  /** Refuse requests without the header (401), like a multi-tenant Pyroscope. */
  required: z.boolean({ error: "tenant.required must be true or false" }).default(false),
});

/** The whole config of `pyroscope.receive_http`. */
export const receiveHttpConfigSchema = z.strictObject({
  http: httpServerConfigSchema.prefault({}),
  tls: tlsServerConfigSchema.optional(),
  /** Largest request body, before and after `Content-Encoding` decoding; larger → 413. */
  max_request_body_size: byteSize().prefault("16MiB"),
  /** Requests on the ingest routes handled at once; more → 429 with `Retry-After`. 0 = none. */
  max_requests_in_flight: z.number({
    error: "max_requests_in_flight must be a whole number of 0 or more",
  }).int("max_requests_in_flight must be a whole number of 0 or more")
    .min(0, "max_requests_in_flight must be a whole number of 0 or more").default(64),
  /** Seconds clients are told to wait in `Retry-After` when the receiver itself is full. */
  retry_after: z.number({ error: "retry_after must be a whole number of seconds ≥ 1" })
    .int("retry_after must be a whole number of seconds ≥ 1")
    .min(1, "retry_after must be a whole number of seconds ≥ 1").default(1),
  /**
   * Check each profile fully (gunzip with a cap, protobuf structure) so truncated or corrupt
   * profiles get 422/400 here; `false` only sniffs the first bytes (faster, as Alloy).
   */
  validate_profiles: z.boolean({ error: "validate_profiles must be true or false" }).default(false),
  auth: authConfigSchema.optional(),
  tenant: tenantConfigSchema.prefault({}),
});

/** The parsed config. */
export type ReceiveHttpConfig = z.output<typeof receiveHttpConfigSchema>;

/** The default config as a user would write it. */
export function createDefaultReceiveHttpConfig(): z.input<typeof receiveHttpConfigSchema> {
  return { http: { listen_address: "", listen_port: 8080 } };
}
