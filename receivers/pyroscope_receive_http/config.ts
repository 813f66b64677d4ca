/**
 * Config of `pyroscope.receive_http`: Alloy's `http` block, plus what Alloy lacks — a `tls`
 * block, body and concurrency limits, inbound auth and tenant pass-through.
 *
 * @module
 */

import { z } from "zod";
import { tenantConfigSchema } from "../../core/http/tenant.ts";
import {
  byteSizeField,
  durationField,
  intField,
  nonEmptyString,
} from "../../core/config/fields.ts";
import {
  DEFAULT_MAX_SERIES_PER_REQUEST,
  httpServerConfigSchema,
  tlsServerConfigSchema,
} from "../../core/http/server_config.ts";

/** `auth.basic_auth` entries: accepted users. */
const basicAuthUserSchema = z.strictObject({
  username: nonEmptyString(),
  password: nonEmptyString(),
});

/**
 * Inbound authentication. When any user or token is configured, every request must carry a
 * matching `Authorization` header (HTTP Basic or Bearer) or gets 401.
 */
export const authConfigSchema = z.strictObject({
  basic_auth: z.array(basicAuthUserSchema, {
    error: "auth.basic_auth must be a list of {username, password}",
  }).default([]),
  bearer_tokens: z.array(nonEmptyString(), {
    error: "auth.bearer_tokens must be a list of strings",
  }).default([]),
});

/** The whole config of `pyroscope.receive_http`. */
export const receiveHttpConfigSchema = z.strictObject({
  http: httpServerConfigSchema.prefault({}),
  tls: tlsServerConfigSchema.optional(),
  /** Largest request body, before and after `Content-Encoding` decoding; larger → 413. */
  max_request_body_size: byteSizeField().prefault("16MiB"),
  /** Largest debug-info upload (`Upload/{gnu_build_id}`), streamed through; larger → 413. */
  debuginfo_max_upload_size: byteSizeField().prefault("100MiB"),
  /**
   * Series one Push may carry; more → 413 before anything is reserved (0 = no limit). A
   * request is queued whole or not at all, so its size bounds one reservation's work.
   */
  max_series_per_request: intField({ min: 0 }).default(DEFAULT_MAX_SERIES_PER_REQUEST),
  /** Requests on the ingest routes handled at once; more → 429 with `Retry-After`. 0 = none. */
  max_requests_in_flight: intField({ min: 0 }).default(64),
  /**
   * How long clients are told to wait in `Retry-After` when the receiver itself is full (a
   * duration like every other; the header carries whole seconds, at least 1).
   */
  retry_after: durationField({ allowZero: false }).prefault("1s"),
  /**
   * Check each profile fully (gunzip with a cap, protobuf structure) so truncated or corrupt
   * profiles get 422/400 here; `false` only sniffs the first bytes (faster, as Alloy).
   */
  validate_profiles: z.boolean({ error: "validate_profiles must be true or false" }).default(false),
  /**
   * Put a request's incoming deadline (`Connect-Timeout-Ms`) on the profiles it queues, so the
   * writers downstream send what is left of it and give them up when it passes. Off: the
   * deadline ends with the answer (once queued, profiles are delivered with the queue's own
   * retries), as Alloy senders give every Push 10 s.
   */
  propagate_deadline: z.boolean({ error: "propagate_deadline must be true or false" }).default(
    false,
  ),
  auth: authConfigSchema.optional(),
  tenant: tenantConfigSchema.prefault({}),
});

/** The parsed config. */
export type ReceiveHttpConfig = z.output<typeof receiveHttpConfigSchema>;

/** The default config as a user would write it. */
export function createDefaultReceiveHttpConfig(): z.input<typeof receiveHttpConfigSchema> {
  return { http: { listen_address: "", listen_port: 8080 } };
}
