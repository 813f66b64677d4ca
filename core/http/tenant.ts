/**
 * Tenant pass-through for receivers: the value of a request header (`X-Scope-OrgID` by
 * default) becomes the tenant of every item of the request: the canonical `__tenant_id__`
 * label (`withTenant` of `core/pyroscope_labels/`), which `pyroscope.write` turns back into the
 * header, and `tenant.label` too when it names another label. Both are set from the header
 * only, so a client cannot pick a tenant through its labels.
 *
 * @example
 * ```ts
 * import { tenantConfigSchema, tenantLabeler } from "./tenant.ts";
 * import { LabelSet } from "../labels.ts";
 * const config = tenantConfigSchema.parse({});
 * const request = new Request("http://x/", { headers: { "X-Scope-OrgID": "team-a" } });
 * const label = tenantLabeler(config, request);
 * label(LabelSet.from({ service_name: "api" })).get("__tenant_id__"); // "team-a"
 * ```
 * @module
 */

import { z } from "zod";
import { nonEmptyString, stringField } from "../config/fields.ts";
import type { LabelSet } from "../labels.ts";
import { TENANT_LABEL, withTenant } from "../pyroscope_labels/mod.ts";
import { HttpError } from "./server.ts";

/** The `tenant` block of a receiver. */
export const tenantConfigSchema = z.strictObject({
  enabled: z.boolean({ error: "tenant.enabled must be true or false" }).default(true),
  from_header: nonEmptyString().default("X-Scope-OrgID"),
  label: stringField().regex(
    /^[A-Za-z_][A-Za-z0-9_.]*$/,
    "tenant.label must be a label name ([A-Za-z_][A-Za-z0-9_.]*)",
  ).default(TENANT_LABEL),
  /** Refuse requests without the header (401), like a multi-tenant Pyroscope. */
  required: z.boolean({ error: "tenant.required must be true or false" }).default(false),
});

/** The parsed `tenant` block. */
export type TenantConfig = z.output<typeof tenantConfigSchema>;

/**
 * The label change that carries `request`'s tenant header; throws {@linkcode HttpError} 401
 * when the header is required and absent. Without the header, or with `enabled: false`, the
 * tenant labels are removed, so a client's own label never passes as a tenant (a later rule may
 * still set one).
 */
export function tenantLabeler(
  config: TenantConfig,
  request: Request,
): (labels: LabelSet) => LabelSet {
  if (!config.enabled) return (labels) => withTenant(labels, "");
  const value = request.headers.get(config.from_header)?.trim() ?? "";
  if (value === "" && config.required) {
    throw new HttpError(401, `missing ${config.from_header} header (tenant required)`, "no_tenant");
  }
  return (labels) => withTenant(labels, value, config.label);
}
