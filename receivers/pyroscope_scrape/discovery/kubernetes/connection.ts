/**
 * Where the Kubernetes API is and how to authenticate: `api_server` with the shared HTTP
 * client options, the common subset of a kubeconfig (current context's cluster server, CA
 * data/file, token/token file, client certificate data/file, basic auth), or in-cluster
 * (`KUBERNETES_SERVICE_HOST`/`PORT`, the service-account token — re-read when it rotates —
 * and CA).
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { HttpClientConfig } from "../../../../core/http/client.ts";
import type { KubernetesSdConfig } from "./config.ts";

/** The service-account directory Kubernetes mounts into pods. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Where the process environment comes from (tests inject their own). */
export interface ConnectionEnv {
  env(name: string): string | undefined;
  /** Directory with `token`, `ca.crt` and `namespace`. */
  serviceAccountDir: string;
}

/** The process' real environment. */
export const processEnv: ConnectionEnv = {
  env: (name) => Deno.env.get(name),
  serviceAccountDir: SERVICE_ACCOUNT_DIR,
};

/** A resolved API server: base URL (no trailing slash) and client options. */
export interface Connection {
  readonly server: string;
  readonly client: HttpClientConfig;
}

const DEFAULT_CLIENT: HttpClientConfig = {
  proxy_from_environment: false,
  follow_redirects: true,
  enable_http2: true,
};

/** Resolves the connection of one config; throws an Error that says what is missing. */
export function resolveConnection(config: KubernetesSdConfig, env: ConnectionEnv): Connection {
  if (config.api_server !== undefined) {
    const {
      role: _r,
      api_server,
      kubeconfig_file: _k,
      namespaces: _n,
      selectors: _s,
      attach_metadata: _a,
      ...client
    } = config;
    return { server: api_server.replace(/\/+$/, ""), client };
  }
  if (config.kubeconfig_file !== undefined) return fromKubeconfig(config.kubeconfig_file);
  const host = env.env("KUBERNETES_SERVICE_HOST");
  const port = env.env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new Error(
      "Cannot use in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT " +
        "must be set; outside a cluster set api_server or kubeconfig_file",
    );
  }
  const h = host.includes(":") ? `[${host}]` : host;
  return {
    server: `https://${h}:${port}`,
    client: {
      ...DEFAULT_CLIENT,
      bearer_token_file: join(env.serviceAccountDir, "token"),
      tls_config: { ca_file: join(env.serviceAccountDir, "ca.crt"), insecure_skip_verify: false },
    },
  };
}

/** The pod's own namespace (for `namespaces.own_namespace`). */
export function ownNamespace(env: ConnectionEnv): string {
  const path = join(env.serviceAccountDir, "namespace");
  try {
    return Deno.readTextFileSync(path).trim();
  } catch (error) {
    throw new Error(
      `namespaces.own_namespace: cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function named(list: unknown, name: string, kind: string, file: string): Obj {
  const entry = Array.isArray(list)
    ? list.find((e) => isObj(e) && e.name === name) as Obj | undefined
    : undefined;
  if (!entry || !isObj(entry[kind])) {
    throw new Error(`kubeconfig ${file}: no ${kind} named ${JSON.stringify(name)}`);
  }
  return entry[kind] as Obj;
}

/** Reads the common subset of a kubeconfig file into a connection. */
export function fromKubeconfig(file: string): Connection {
  let doc: unknown;
  try {
    doc = parseYaml(Deno.readTextFileSync(file));
  } catch (error) {
    throw new Error(`kubeconfig_file ${file}: ${(error as Error).message}`);
  }
  if (!isObj(doc)) throw new Error(`kubeconfig ${file}: not a kubeconfig (expected a map)`);
  const current = doc["current-context"];
  if (typeof current !== "string" || current === "") {
    throw new Error(`kubeconfig ${file}: current-context is not set`);
  }
  const context = named(doc.contexts, current, "context", file);
  const cluster = named(doc.clusters, String(context.cluster ?? ""), "cluster", file);
  const user = context.user !== undefined
    ? named(doc.users, String(context.user), "user", file)
    : {};
  const base = dirname(file);
  const path = (p: unknown) => (isAbsolute(String(p)) ? String(p) : join(base, String(p)));
  const decode = (field: string, v: unknown) => {
    try {
      return new TextDecoder().decode(Uint8Array.from(atob(String(v)), (c) => c.charCodeAt(0)));
    } catch {
      throw new Error(`kubeconfig ${file}: ${field} is not valid base64`);
    }
  };
  const server = cluster.server;
  if (typeof server !== "string" || server === "") {
    throw new Error(`kubeconfig ${file}: cluster ${JSON.stringify(context.cluster)} has no server`);
  }
  const unsupported = (what: string, instead: string) =>
    new Error(`kubeconfig ${file}: ${what} is not supported; ${instead}`);
  if (cluster["insecure-skip-tls-verify"] === true) {
    throw unsupported(
      "insecure-skip-tls-verify",
      "set certificate-authority or certificate-authority-data",
    );
  }
  if (cluster["proxy-url"] !== undefined) {
    throw unsupported("proxy-url", "use api_server with proxy_url instead");
  }
  for (const key of ["exec", "auth-provider"]) {
    if (user[key] !== undefined) {
      throw unsupported(
        `user ${key}`,
        "use a token, tokenFile or a client certificate (e.g. a service-account token)",
      );
    }
  }
  const tls: NonNullable<HttpClientConfig["tls_config"]> = { insecure_skip_verify: false };
  if (cluster["certificate-authority-data"] !== undefined) {
    tls.ca_pem = decode("certificate-authority-data", cluster["certificate-authority-data"]);
  } else if (cluster["certificate-authority"] !== undefined) {
    tls.ca_file = path(cluster["certificate-authority"]);
  }
  if (user["client-certificate-data"] !== undefined) {
    tls.cert_pem = decode("client-certificate-data", user["client-certificate-data"]);
  } else if (user["client-certificate"] !== undefined) {
    tls.cert_file = path(user["client-certificate"]);
  }
  if (user["client-key-data"] !== undefined) {
    tls.key_pem = decode("client-key-data", user["client-key-data"]);
  } else if (user["client-key"] !== undefined) tls.key_file = path(user["client-key"]);
  if (
    (tls.cert_pem ?? tls.cert_file) !== undefined && (tls.key_pem ?? tls.key_file) === undefined
  ) {
    throw new Error(`kubeconfig ${file}: a client certificate needs client-key or client-key-data`);
  }
  const client: HttpClientConfig = { ...DEFAULT_CLIENT, tls_config: tls };
  if (typeof user.token === "string" && user.token !== "") client.bearer_token = user.token;
  else if (typeof user.tokenFile === "string") client.bearer_token_file = path(user.tokenFile);
  else if (typeof user.username === "string") {
    client.basic_auth = { username: user.username, password: String(user.password ?? "") };
  }
  return { server: server.replace(/\/+$/, ""), client };
}
