/**
 * The HTTP client options every component that makes requests shares (the scraper, its
 * `http_sd_configs`, `pyroscope.write` endpoints), with Prometheus/Alloy names: auth
 * (`bearer_token[_file]`, `basic_auth`, `authorization`, `oauth2`), `tls_config`, proxies
 * (`proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`),
 * `follow_redirects`, `enable_http2` and `http_headers`.
 *
 * Validation refuses what cannot work, naming both fields of a conflict, and what Deno's HTTP
 * client cannot do per client, saying what to do instead — a setting is never silently
 * ignored (see `core/http/README.md`).
 *
 * @module
 */

import { z } from "zod";
import { stringField } from "../config/fields.ts";

const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

/** `tls_config` block. */
export const tlsConfigSchema = z.strictObject({
  ca_pem: stringField().optional(),
  ca_file: stringField().optional(),
  cert_pem: stringField().optional(),
  cert_file: stringField().optional(),
  key_pem: stringField().optional(),
  key_file: stringField().optional(),
  insecure_skip_verify: bool("tls_config.insecure_skip_verify").default(false),
  min_version: z.enum(["TLS10", "TLS11", "TLS12", "TLS13"], {
    error: (issue) =>
      `tls_config.min_version must be one of TLS10, TLS11, TLS12, TLS13, got ${
        JSON.stringify(issue.input)
      }`,
  }).optional(),
  server_name: stringField().optional(),
});

/** The TLS options as parsed. */
export type TlsConfig = z.output<typeof tlsConfigSchema>;

const headerList = z.union([z.string(), z.array(z.string())], {
  error: "http_headers values must be a string or a list of strings",
}).transform((v) => (typeof v === "string" ? [v] : v));

/** Fields shared by every HTTP client config; spread into a strict object. */
export const httpClientConfigShape = {
  bearer_token: stringField().optional(),
  bearer_token_file: stringField().optional(),
  basic_auth: z.strictObject({
    username: stringField().default(""),
    password: stringField().optional(),
    password_file: stringField().optional(),
  }).optional(),
  authorization: z.strictObject({
    type: stringField().default("Bearer"),
    credentials: stringField().optional(),
    credentials_file: stringField().optional(),
  }).optional(),
  oauth2: z.strictObject({
    client_id: stringField().default(""),
    client_secret: stringField().optional(),
    client_secret_file: stringField().optional(),
    token_url: stringField(),
    scopes: z.array(z.string()).default([]),
    endpoint_params: z.record(z.string(), z.string()).default({}),
    proxy_url: stringField().optional(),
    tls_config: tlsConfigSchema.optional(),
  }).optional(),
  tls_config: tlsConfigSchema.optional(),
  proxy_url: stringField().optional(),
  no_proxy: stringField().optional(),
  proxy_from_environment: bool("proxy_from_environment").default(false),
  proxy_connect_header: z.record(z.string(), headerList).optional(),
  follow_redirects: bool("follow_redirects").default(true),
  enable_http2: bool("enable_http2").default(true),
  /** Alloy's `http_headers`: header name → one value or a list of values (secrets). */
  http_headers: z.record(z.string(), headerList).optional(),
};

const httpClientConfigSchema = z.object(httpClientConfigShape);

/** The client options as parsed. */
export type HttpClientConfig = z.output<typeof httpClientConfigSchema>;

/** Cross-field checks (mutually exclusive options), for `superRefine`. */
export function checkHttpClientConfig(config: HttpClientConfig, ctx: z.RefinementCtx): void {
  const fail = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const auths = [
    config.bearer_token !== undefined || config.bearer_token_file !== undefined
      ? "bearer_token"
      : "",
    config.basic_auth ? "basic_auth" : "",
    config.authorization ? "authorization" : "",
    config.oauth2 ? "oauth2" : "",
  ].filter((a) => a !== "");
  if (auths.length > 1) {
    fail([auths[1]!], `at most one of ${auths.join(", ")} may be set; remove all but one`);
  }
  if (config.bearer_token !== undefined && config.bearer_token_file !== undefined) {
    fail(["bearer_token_file"], "at most one of bearer_token and bearer_token_file may be set");
  }
  const ba = config.basic_auth;
  if (ba && ba.password !== undefined && ba.password_file !== undefined) {
    fail(["basic_auth", "password_file"], "at most one of password and password_file may be set");
  }
  const az = config.authorization;
  if (az && az.credentials !== undefined && az.credentials_file !== undefined) {
    fail(
      ["authorization", "credentials_file"],
      "at most one of credentials and credentials_file may be set",
    );
  }
  if (az && az.type.toLowerCase() === "basic") {
    fail(["authorization", "type"], 'authorization.type "Basic" is not allowed; use basic_auth');
  }
  const oa = config.oauth2;
  if (oa && oa.client_secret !== undefined && oa.client_secret_file !== undefined) {
    fail(
      ["oauth2", "client_secret_file"],
      "at most one of client_secret and client_secret_file may be set",
    );
  }
  const checkTls = (tls: TlsConfig | undefined, base: string[]) => {
    if (!tls) return;
    if (tls.ca_pem !== undefined && tls.ca_file !== undefined) {
      fail([...base, "ca_file"], "at most one of ca_pem and ca_file may be set");
    }
    if (tls.cert_pem !== undefined && tls.cert_file !== undefined) {
      fail([...base, "cert_file"], "at most one of cert_pem and cert_file may be set");
    }
    if (tls.key_pem !== undefined && tls.key_file !== undefined) {
      fail([...base, "key_file"], "at most one of key_pem and key_file may be set");
    }
    const hasCert = tls.cert_pem !== undefined || tls.cert_file !== undefined;
    const hasKey = tls.key_pem !== undefined || tls.key_file !== undefined;
    if (tls.insecure_skip_verify) {
      fail(
        [...base, "insecure_skip_verify"],
        "Deno's HTTP client cannot skip certificate checks for one client. Trust the server " +
          "instead with ca_file or ca_pem, or start profcol with the runtime flag " +
          "(deno run --unsafely-ignore-certificate-errors=<host> -A main.ts run …, or build " +
          "with that flag) and remove insecure_skip_verify",
      );
    }
    if (tls.server_name !== undefined) {
      fail(
        [...base, "server_name"],
        "Deno's HTTP client cannot override the TLS server name; use a URL whose host " +
          "matches the certificate (e.g. an /etc/hosts entry) and remove server_name",
      );
    }
    if (tls.min_version === "TLS13") {
      fail(
        [...base, "min_version"],
        "Deno's HTTP client negotiates TLS 1.2 or 1.3 and cannot be limited to 1.3; " +
          "remove min_version or set TLS12",
      );
    }
    if (hasCert !== hasKey) {
      fail(
        base,
        "client certificate and key must both be set (cert_pem/cert_file and key_pem/key_file)",
      );
    }
  };
  checkTls(config.tls_config, ["tls_config"]);
  checkTls(oa?.tls_config, ["oauth2", "tls_config"]);
  if (config.proxy_from_environment && config.proxy_url !== undefined) {
    fail(["proxy_url"], "proxy_url and proxy_from_environment are mutually exclusive");
  }
  if (config.no_proxy !== undefined && config.proxy_url === undefined) {
    fail(["no_proxy"], "no_proxy requires proxy_url");
  }
  if (config.proxy_url !== undefined) {
    checkProxyUrl(config.proxy_url, ["proxy_url"], fail);
  }
  if (oa?.proxy_url !== undefined) checkProxyUrl(oa.proxy_url, ["oauth2", "proxy_url"], fail);
  if (config.proxy_connect_header !== undefined) {
    if (config.proxy_url === undefined && !config.proxy_from_environment) {
      fail(
        ["proxy_connect_header"],
        "proxy_connect_header requires proxy_url or proxy_from_environment",
      );
    }
    for (const [name, values] of Object.entries(config.proxy_connect_header)) {
      if (name.toLowerCase() !== "proxy-authorization") {
        fail(
          ["proxy_connect_header", name],
          `header ${JSON.stringify(name)} cannot be sent to the proxy: Deno's HTTP client only ` +
            "sends Proxy-Authorization (Basic) on CONNECT",
        );
      } else if (values.length !== 1 || basicCredentials(values[0]!) === undefined) {
        fail(
          ["proxy_connect_header", name],
          'Proxy-Authorization must be one value of the form "Basic <base64 user:password>"',
        );
      }
    }
  }
}

function checkProxyUrl(
  value: string,
  path: string[],
  fail: (path: string[], message: string) => void,
): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(path, `${path.join(".")} is not a URL: ${JSON.stringify(value)}`);
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "socks5:") {
    fail(path, `${path.join(".")} must be http://, https:// or socks5://, got ${url.protocol}`);
  }
}

/** `Basic <base64 user:password>` → the pair, or `undefined` when not that form. */
export function basicCredentials(
  header: string,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return undefined;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon < 0
    ? undefined
    : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
