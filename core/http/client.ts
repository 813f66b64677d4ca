/**
 * HTTP client options of the scraper and of `http_sd_configs`: Prometheus/Alloy names
 * (`bearer_token[_file]`, `basic_auth`, `authorization`, `oauth2`, `tls_config`, proxy options,
 * `follow_redirects`, `enable_http2`, `http_headers`) and a small client built on
 * `Deno.createHttpClient`.
 *
 * Shared by every component that makes HTTP requests (the scraper and its discovery today,
 * `pyroscope.write` next), so no component re-implements auth, TLS or proxies.
 *
 * @module
 */

import { z } from "zod";

const str = (field: string) => z.string({ error: `${field} must be a string` });
const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

/** `tls_config` block. */
export const tlsConfigSchema = z.strictObject({
  ca_pem: str("tls_config.ca_pem").optional(),
  ca_file: str("tls_config.ca_file").optional(),
  cert_pem: str("tls_config.cert_pem").optional(),
  cert_file: str("tls_config.cert_file").optional(),
  key_pem: str("tls_config.key_pem").optional(),
  key_file: str("tls_config.key_file").optional(),
  insecure_skip_verify: bool("tls_config.insecure_skip_verify").default(false),
  min_version: z.enum(["TLS10", "TLS11", "TLS12", "TLS13"], {
    error: (issue) =>
      `tls_config.min_version must be one of TLS10, TLS11, TLS12, TLS13, got ${
        JSON.stringify(issue.input)
      }`,
  }).optional(),
  server_name: str("tls_config.server_name").optional(),
});

/** The TLS options as parsed. */
export type TlsConfig = z.output<typeof tlsConfigSchema>;

const headerList = z.union([z.string(), z.array(z.string())], {
  error: "http_headers values must be a string or a list of strings",
}).transform((v) => (typeof v === "string" ? [v] : v));

/** Fields shared by every HTTP client config; spread into a strict object. */
export const httpClientConfigShape = {
  bearer_token: str("bearer_token").optional(),
  bearer_token_file: str("bearer_token_file").optional(),
  basic_auth: z.strictObject({
    username: str("basic_auth.username").default(""),
    password: str("basic_auth.password").optional(),
    password_file: str("basic_auth.password_file").optional(),
  }).optional(),
  authorization: z.strictObject({
    type: str("authorization.type").default("Bearer"),
    credentials: str("authorization.credentials").optional(),
    credentials_file: str("authorization.credentials_file").optional(),
  }).optional(),
  oauth2: z.strictObject({
    client_id: str("oauth2.client_id").default(""),
    client_secret: str("oauth2.client_secret").optional(),
    client_secret_file: str("oauth2.client_secret_file").optional(),
    token_url: str("oauth2.token_url"),
    scopes: z.array(z.string()).default([]),
    endpoint_params: z.record(z.string(), z.string()).default({}),
    proxy_url: str("oauth2.proxy_url").optional(),
    tls_config: tlsConfigSchema.optional(),
  }).optional(),
  tls_config: tlsConfigSchema.optional(),
  proxy_url: str("proxy_url").optional(),
  no_proxy: str("no_proxy").optional(),
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
    try {
      new URL(config.proxy_url);
    } catch {
      fail(["proxy_url"], `proxy_url is not a URL: ${JSON.stringify(config.proxy_url)}`);
    }
  }
}

/** Request options of {@linkcode HttpClient.fetch}. */
export interface ClientRequestInit extends RequestInit {
  /** Aborts the request (headers and body) after this many milliseconds. */
  timeoutMs?: number;
}

/** A configured client. */
export interface HttpClient {
  fetch(url: string, init?: ClientRequestInit): Promise<Response>;
  close(): void;
}

/** Options of {@linkcode createHttpClient}. */
export interface CreateHttpClientOptions {
  userAgent: string;
  extraHeaders?: Record<string, string>;
}

function readText(path: string): string {
  return Deno.readTextFileSync(path).trim();
}

function tlsOptions(tls: TlsConfig | undefined): Deno.CreateHttpClientOptions {
  if (!tls) return {};
  const options: Deno.CreateHttpClientOptions = {};
  const ca = tls.ca_pem ?? (tls.ca_file !== undefined ? Deno.readTextFileSync(tls.ca_file) : "");
  if (ca) options.caCerts = [ca];
  const cert = tls.cert_pem ??
    (tls.cert_file !== undefined ? Deno.readTextFileSync(tls.cert_file) : "");
  const key = tls.key_pem ??
    (tls.key_file !== undefined ? Deno.readTextFileSync(tls.key_file) : "");
  if (cert && key) Object.assign(options, { cert, key });
  return options;
}

/** Builds a client: auth headers are computed per request so `*_file` rotations apply. */
export function createHttpClient(
  config: HttpClientConfig,
  options: CreateHttpClientOptions,
): HttpClient {
  const clientOptions: Deno.CreateHttpClientOptions = {
    ...tlsOptions(config.tls_config),
    http2: config.enable_http2,
    http1: true,
  };
  if (config.proxy_url !== undefined) clientOptions.proxy = { url: config.proxy_url };
  const client = Deno.createHttpClient(clientOptions);
  let token: { value: string; expires: number } | undefined;

  const oauthToken = async (signal: AbortSignal | undefined): Promise<string> => {
    const oa = config.oauth2!;
    if (token && token.expires > Date.now()) return token.value;
    const secret = oa.client_secret ??
      (oa.client_secret_file !== undefined ? readText(oa.client_secret_file) : "");
    const body = new URLSearchParams({ grant_type: "client_credentials", ...oa.endpoint_params });
    if (oa.scopes.length > 0) body.set("scope", oa.scopes.join(" "));
    const response = await fetch(oa.token_url, {
      method: "POST",
      body,
      client,
      signal,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${oa.client_id}:${secret}`)}`,
      },
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`oauth2 token request to ${oa.token_url} failed: HTTP ${response.status}`);
    }
    const json = await response.json() as { access_token?: string; expires_in?: number };
    if (!json.access_token) {
      throw new Error(`oauth2 token response from ${oa.token_url} has no access_token`);
    }
    token = {
      value: json.access_token,
      expires: Date.now() + Math.max(0, (json.expires_in ?? 3600) - 10) * 1000,
    };
    return token.value;
  };

  return {
    async fetch(url, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("user-agent", options.userAgent);
      for (const [k, v] of Object.entries(options.extraHeaders ?? {})) headers.set(k, v);
      for (const [k, values] of Object.entries(config.http_headers ?? {})) {
        headers.delete(k);
        for (const v of values) headers.append(k, v);
      }
      const timeout = init.timeoutMs !== undefined
        ? AbortSignal.timeout(init.timeoutMs)
        : undefined;
      const signal = timeout && init.signal
        ? AbortSignal.any([timeout, init.signal])
        : timeout ?? init.signal ?? undefined;
      if (config.bearer_token !== undefined) {
        headers.set("authorization", `Bearer ${config.bearer_token}`);
      } else if (config.bearer_token_file !== undefined) {
        headers.set("authorization", `Bearer ${readText(config.bearer_token_file)}`);
      } else if (config.basic_auth) {
        const ba = config.basic_auth;
        const password = ba.password ??
          (ba.password_file !== undefined ? readText(ba.password_file) : "");
        headers.set("authorization", `Basic ${btoa(`${ba.username}:${password}`)}`);
      } else if (config.authorization) {
        const az = config.authorization;
        const credentials = az.credentials ??
          (az.credentials_file !== undefined ? readText(az.credentials_file) : "");
        headers.set("authorization", `${az.type} ${credentials}`);
      } else if (config.oauth2) {
        headers.set("authorization", `Bearer ${await oauthToken(signal ?? undefined)}`);
      }
      return await fetch(url, {
        ...init,
        headers,
        client,
        signal,
        redirect: config.follow_redirects ? "follow" : "manual",
      });
    },
    close() {
      client.close();
    },
  };
}
