/**
 * `kubernetes_sd_configs` entry with Prometheus' names and defaults: `role`, `api_server`,
 * `kubeconfig_file`, `namespaces`, `selectors`, `attach_metadata` and the shared HTTP client
 * options. The checks are Prometheus' (`discovery/kubernetes` `SDConfig.UnmarshalYAML`).
 *
 * @module
 */

import { z } from "zod";
import { stringField } from "../../../../core/config/fields.ts";
import {
  checkHttpClientConfig,
  type HttpClientConfig,
  httpClientConfigShape,
} from "../../../../core/http/client.ts";

/** The roles profcol discovers. */
export const KUBERNETES_ROLES = ["pod", "endpoints", "endpointslice", "service", "node"] as const;

/** A discovery role. */
export type KubernetesRole = (typeof KUBERNETES_ROLES)[number];

/**
 * Selector roles each discovery role accepts (Prometheus' `allowedSelectors`). A `node` selector
 * on the `pod` role narrows the pods with `attach_metadata.node`: pods on nodes it filters out
 * yield no target.
 */
export const ALLOWED_SELECTOR_ROLES: Readonly<Record<KubernetesRole, readonly KubernetesRole[]>> = {
  pod: ["pod", "node"],
  service: ["service"],
  endpoints: ["pod", "service", "endpoints"],
  endpointslice: ["pod", "service", "endpointslice"],
  node: ["node"],
};

const roleSchema = (field: string) =>
  z.string({ error: `${field} is required: one of ${KUBERNETES_ROLES.join(", ")}` }).refine(
    (r) => (KUBERNETES_ROLES as readonly string[]).includes(r),
    {
      error: (issue) =>
        `${field} must be one of ${KUBERNETES_ROLES.join(", ")}, got ${
          JSON.stringify(issue.input)
        }${issue.input === "ingress" ? " (the ingress role is not supported)" : ""}`,
    },
  ).transform((r) => r as KubernetesRole);

const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

/** Schema of one `kubernetes_sd_configs` entry. */
export const kubernetesSdConfigSchema = z.strictObject({
  role: roleSchema("kubernetes_sd_configs.role"),
  api_server: stringField().refine((u) => {
    try {
      const url = new URL(u);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, {
    error: (issue) =>
      `kubernetes_sd_configs.api_server must be an http(s) URL, got ${JSON.stringify(issue.input)}`,
  }).optional(),
  kubeconfig_file: stringField().optional(),
  namespaces: z.strictObject({
    own_namespace: bool("namespaces.own_namespace").default(false),
    names: z.array(z.string(), { error: "namespaces.names must be a list of namespaces" })
      .default([]),
  }).prefault({}),
  selectors: z.array(z.strictObject({
    role: roleSchema("selectors.role"),
    label: stringField().default(""),
    field: stringField().default(""),
  })).default([]),
  attach_metadata: z.strictObject({
    node: bool("attach_metadata.node").default(false),
    namespace: bool("attach_metadata.namespace").default(false),
    deployment: bool("attach_metadata.deployment").default(false),
    job: bool("attach_metadata.job").default(false),
    cronjob: bool("attach_metadata.cronjob").default(false),
  }).prefault({}),
  ...httpClientConfigShape,
}).superRefine((c, ctx) => {
  checkHttpClientConfig(c, ctx);
  const fail = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  if (c.api_server !== undefined && c.kubeconfig_file !== undefined) {
    fail(["kubeconfig_file"], "api_server and kubeconfig_file are mutually exclusive; set one");
  }
  if (c.api_server === undefined && hasCustomHttpClient(c)) {
    fail(
      ["api_server"],
      c.kubeconfig_file !== undefined
        ? "custom HTTP client options cannot be used with kubeconfig_file; the kubeconfig " +
          "supplies the server, CA and credentials"
        : "custom HTTP client options need api_server; in-cluster discovery uses the " +
          "service-account token and CA",
    );
  }
  const allowed = ALLOWED_SELECTOR_ROLES[c.role];
  const seen = new Set<string>();
  c.selectors.forEach((s, i) => {
    if (!allowed.includes(s.role)) {
      fail(
        ["selectors", i, "role"],
        `${c.role} role supports only ${allowed.join(", ")} selectors, got ${
          JSON.stringify(s.role)
        }`,
      );
    }
    if (seen.has(s.role)) fail(["selectors", i, "role"], `duplicated selector role ${s.role}`);
    seen.add(s.role);
  });
});

/** A parsed `kubernetes_sd_configs` entry. */
export type KubernetesSdConfig = z.output<typeof kubernetesSdConfigSchema>;

/** Whether any HTTP client option differs from its default. */
export function hasCustomHttpClient(c: HttpClientConfig): boolean {
  return c.bearer_token !== undefined || c.bearer_token_file !== undefined ||
    c.basic_auth !== undefined || c.authorization !== undefined || c.oauth2 !== undefined ||
    c.tls_config !== undefined || c.proxy_url !== undefined || c.no_proxy !== undefined ||
    c.proxy_from_environment || c.proxy_connect_header !== undefined ||
    c.http_headers !== undefined || !c.follow_redirects || !c.enable_http2;
}
