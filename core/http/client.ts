/**
 * The HTTP client every component that makes requests uses (the scraper, `http_sd_configs`,
 * `pyroscope.write`), built on `Deno.createHttpClient` from the options in
 * `client_config.ts`: auth headers per request (file secrets re-read when they change), a
 * proxy chosen per request host, TLS material re-read when its files change, and oauth2 with
 * its own TLS and proxy. No component re-implements auth, TLS or proxies.
 *
 * @module
 */

import { basicCredentials, type HttpClientConfig, type TlsConfig } from "./client_config.ts";
import { FileSecret } from "./file_secret.ts";
import { ProxySelector } from "./proxy.ts";

export {
  checkHttpClientConfig,
  type HttpClientConfig,
  httpClientConfigShape,
  type TlsConfig,
  tlsConfigSchema,
} from "./client_config.ts";

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

/** A value given inline or read (and re-read on change) from a file. */
type Secret = () => string;

function secret(field: string, inline: string | undefined, file: string | undefined): Secret {
  if (inline !== undefined) return () => inline;
  if (file !== undefined) {
    const reader = new FileSecret(field, file);
    return () => reader.value();
  }
  return () => "";
}

/**
 * TLS material of one `tls_config`: PEM inline or from files, re-read when a file changes.
 * `version` changes with the content so clients can be rebuilt.
 */
class TlsMaterial {
  readonly #files: { key: "caCerts" | "cert" | "key"; file: FileSecret }[] = [];
  readonly #inline: Deno.CreateHttpClientOptions = {};

  constructor(tls: TlsConfig | undefined, base: string) {
    if (!tls) return;
    const add = (
      key: "caCerts" | "cert" | "key",
      pem: string | undefined,
      path: string | undefined,
      field: string,
    ) => {
      if (pem !== undefined) {
        if (key === "caCerts") this.#inline.caCerts = [pem];
        else Object.assign(this.#inline, { [key]: pem });
      } else if (path !== undefined) {
        this.#files.push({ key, file: new FileSecret(`${base}.${field}`, path, 5000, false) });
      }
    };
    add("caCerts", tls.ca_pem, tls.ca_file, "ca_file");
    add("cert", tls.cert_pem, tls.cert_file, "cert_file");
    add("key", tls.key_pem, tls.key_file, "key_file");
  }

  /** Current options and a version string that changes when a file's content does. */
  current(): { options: Deno.CreateHttpClientOptions; version: string } {
    const options: Deno.CreateHttpClientOptions = { ...this.#inline };
    const versions: number[] = [];
    for (const { key, file } of this.#files) {
      const value = file.value();
      versions.push(file.version);
      if (key === "caCerts") options.caCerts = [value];
      else Object.assign(options, { [key]: value });
    }
    return { options, version: versions.join(".") };
  }
}

/** Deno clients per proxy (or direct), rebuilt when TLS files change; old ones closed at the end. */
class ClientPool {
  readonly #tls: TlsMaterial;
  readonly #base: Deno.CreateHttpClientOptions;
  readonly #proxyAuth: { username: string; password: string } | undefined;
  readonly #clients = new Map<string, Deno.HttpClient>();
  readonly #retired: Deno.HttpClient[] = [];
  #version: string | undefined;

  constructor(
    tls: TlsMaterial,
    base: Deno.CreateHttpClientOptions,
    proxyAuth?: { username: string; password: string },
  ) {
    this.#tls = tls;
    this.#base = base;
    this.#proxyAuth = proxyAuth;
  }

  get(proxy: string | undefined): Deno.HttpClient {
    const { options, version } = this.#tls.current();
    if (version !== this.#version) {
      this.#retired.push(...this.#clients.values());
      this.#clients.clear();
      this.#version = version;
    }
    const key = proxy ?? "";
    let client = this.#clients.get(key);
    if (!client) {
      const all: Deno.CreateHttpClientOptions = { ...this.#base, ...options };
      if (proxy !== undefined) all.proxy = proxyOption(proxy, this.#proxyAuth);
      client = Deno.createHttpClient(all);
      this.#clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const client of [...this.#clients.values(), ...this.#retired]) client.close();
    this.#clients.clear();
    this.#retired.length = 0;
  }
}

/** Deno's proxy option: credentials from the URL's userinfo or `Proxy-Authorization`. */
function proxyOption(
  proxy: string,
  auth: { username: string; password: string } | undefined,
): Deno.Proxy {
  const url = new URL(proxy);
  let basicAuth = auth;
  if (url.username !== "") {
    basicAuth = {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
    url.username = "";
    url.password = "";
  }
  return basicAuth ? { url: url.toString(), basicAuth } : { url: url.toString() };
}

/**
 * Builds a client. Auth headers are computed per request (file secrets re-read when they
 * change), the proxy is chosen per request host (`no_proxy`, `proxy_from_environment`), and
 * TLS files that change rebuild the underlying Deno client.
 */
export function createHttpClient(
  config: HttpClientConfig,
  options: CreateHttpClientOptions,
): HttpClient {
  const proxyAuthHeader = Object.entries(config.proxy_connect_header ?? {}).find(([name]) =>
    name.toLowerCase() === "proxy-authorization"
  )?.[1]?.[0];
  const pool = new ClientPool(
    new TlsMaterial(config.tls_config, "tls_config"),
    { http2: config.enable_http2, http1: true },
    proxyAuthHeader !== undefined ? basicCredentials(proxyAuthHeader) : undefined,
  );
  const selector = new ProxySelector({
    proxyUrl: config.proxy_url,
    noProxy: config.no_proxy,
    fromEnvironment: config.proxy_from_environment,
  });

  let authorization: (() => string) | undefined;
  if (config.bearer_token !== undefined || config.bearer_token_file !== undefined) {
    const token = secret("bearer_token_file", config.bearer_token, config.bearer_token_file);
    authorization = () => `Bearer ${token()}`;
  } else if (config.basic_auth) {
    const ba = config.basic_auth;
    const password = secret("basic_auth.password_file", ba.password, ba.password_file);
    authorization = () => `Basic ${btoa(`${ba.username}:${password()}`)}`;
  } else if (config.authorization) {
    const az = config.authorization;
    const credentials = secret(
      "authorization.credentials_file",
      az.credentials,
      az.credentials_file,
    );
    authorization = () => `${az.type} ${credentials()}`;
  }

  const oauth = config.oauth2 ? new OAuthTokens(config.oauth2, options.userAgent) : undefined;

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
      if (authorization) headers.set("authorization", authorization());
      if (oauth) headers.set("authorization", `Bearer ${await oauth.token(signal ?? undefined)}`);
      const client = pool.get(selector.proxyFor(new URL(url)));
      const response = await fetch(url, {
        ...init,
        headers,
        client,
        signal,
        redirect: config.follow_redirects ? "follow" : "manual",
      });
      // A refused token may have been revoked early: fetch a new one next time.
      if (response.status === 401) oauth?.invalidate();
      return response;
    },
    close() {
      pool.close();
      oauth?.close();
    },
  };
}

type OAuth2Config = NonNullable<HttpClientConfig["oauth2"]>;

/** The client-credentials grant with its own TLS and proxy, token cached until expiry. */
class OAuthTokens {
  readonly #config: OAuth2Config;
  readonly #userAgent: string;
  readonly #secret: Secret;
  readonly #pool: ClientPool;
  #token: { value: string; expires: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(config: OAuth2Config, userAgent: string) {
    this.#config = config;
    this.#userAgent = userAgent;
    this.#secret = secret(
      "oauth2.client_secret_file",
      config.client_secret,
      config.client_secret_file,
    );
    this.#pool = new ClientPool(new TlsMaterial(config.tls_config, "oauth2.tls_config"), {
      http1: true,
      http2: true,
    });
  }

  token(signal: AbortSignal | undefined): Promise<string> {
    if (this.#token && this.#token.expires > Date.now()) return Promise.resolve(this.#token.value);
    // One request for concurrent callers.
    this.#pending ??= this.#fetch(signal).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  invalidate(): void {
    this.#token = undefined;
  }

  close(): void {
    this.#pool.close();
  }

  async #fetch(signal: AbortSignal | undefined): Promise<string> {
    const oa = this.#config;
    const body = new URLSearchParams({ grant_type: "client_credentials", ...oa.endpoint_params });
    if (oa.scopes.length > 0) body.set("scope", oa.scopes.join(" "));
    const response = await fetch(oa.token_url, {
      method: "POST",
      body,
      client: this.#pool.get(oa.proxy_url),
      signal,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": this.#userAgent,
        authorization: `Basic ${
          btoa(`${encodeURIComponent(oa.client_id)}:${encodeURIComponent(this.#secret())}`)
        }`,
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
    // Renew a little early so a request never carries a token that expires in flight.
    const lifetime = Math.max(0, (json.expires_in ?? 3600) - 10) * 1000;
    this.#token = { value: json.access_token, expires: Date.now() + lifetime };
    return json.access_token;
  }
}
