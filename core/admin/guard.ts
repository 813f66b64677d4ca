/**
 * The admin server's guard: who may call which endpoint. Decided before routing:
 *
 * 1. `/-/healthy` and `/-/ready` always answer (Kubernetes probes carry no token).
 * 2. The `Host` must be a loopback name (`localhost`, `*.localhost`), an IP address, the listen
 *    address, or listed in `allowed_hosts` — a DNS-rebinding page (its own name resolving to
 *    this address) is refused with 403. An IP address is safe: a page served from an IP is
 *    same-origin with this server anyway.
 * 3. Mutating endpoints (`/-/reload`) need POST, and a browser's `Origin` (or
 *    `Sec-Fetch-Site: cross-site`) must be this server's own origin or listed in
 *    `allowed_origins`: a cross-site form post is refused with 403.
 * 4. With a bearer token configured, mutating and profile (`/debug/pprof/*`) endpoints need
 *    `Authorization: Bearer <token>` (401 otherwise); with `require_token_for_all`, every
 *    endpoint but the probes does.
 *
 * @module
 */

import type { z } from "zod";
import type { adminHttpSchema } from "../config/service_schema.ts";
import { FileSecret } from "../http/file_secret.ts";
import { registerSecret } from "../redact.ts";

/** `service.telemetry.http` as validated. */
export type AdminHttpConfig = z.output<typeof adminHttpSchema>;

const PROBES: ReadonlySet<string> = new Set(["/-/healthy", "/-/ready"]);
const MUTATING: ReadonlySet<string> = new Set(["/-/reload"]);
const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** Why a request was refused (the `reason` of `profcol_admin_refused_requests_total`). */
export type RefusalReason = "host" | "origin" | "method" | "token" | "token_unavailable";

/** A refused request: the answer and why. */
export interface AdminRefusal {
  readonly reason: RefusalReason;
  readonly response: Response;
}

/** Whether `path` is a profile endpoint (token-guarded: a CPU profile costs the process). */
export function isProfileEndpoint(path: string): boolean {
  return path.startsWith("/debug/pprof/");
}

/** See the module doc. */
export class AdminGuard {
  readonly #config: AdminHttpConfig;
  readonly #token: (() => string) | undefined;
  readonly #allowedHosts: ReadonlySet<string>;
  readonly #allowedOrigins: ReadonlySet<string>;

  /**
   * Reads the token file once, so an unreadable file fails the start or the reload (throws an
   * Error naming the setting and path); later reads follow the file as it changes.
   */
  constructor(config: AdminHttpConfig) {
    this.#config = config;
    if (config.bearer_token !== undefined) {
      const token = config.bearer_token;
      registerSecret(token);
      this.#token = () => token;
    } else if (config.bearer_token_file !== undefined) {
      const file = new FileSecret(
        "service::telemetry::http::bearer_token_file",
        config.bearer_token_file,
      );
      if (file.value() === "") {
        throw new Error(
          `service::telemetry::http::bearer_token_file: ${
            JSON.stringify(config.bearer_token_file)
          } is empty`,
        );
      }
      this.#token = () => file.value();
    }
    this.#allowedHosts = new Set(config.allowed_hosts.map((host) => host.toLowerCase()));
    this.#allowedOrigins = new Set(
      config.allowed_origins.map((origin) => origin.toLowerCase().replace(/\/+$/, "")),
    );
  }

  /** Whether a bearer token guards the server. */
  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** The refusal for `request`, or undefined when it may proceed. */
  check(request: Request, path: string): AdminRefusal | undefined {
    if (PROBES.has(path)) return undefined;
    const host = request.headers.get("host") ?? "";
    if (!this.#hostAllowed(host)) {
      return refuse(
        "host",
        403,
        `host ${JSON.stringify(host)} is not allowed; add it to ` +
          "service.telemetry.http.allowed_hosts",
      );
    }
    const mutating = MUTATING.has(path);
    if (mutating) {
      if (request.method !== "POST") {
        const response = new Response(`method ${request.method} not allowed; use POST\n`, {
          status: 405,
          headers: { ...TEXT, allow: "POST" },
        });
        return { reason: "method", response };
      }
      const refusal = this.#crossSite(request, host);
      if (refusal) return refusal;
    }
    if (
      this.#token && (mutating || isProfileEndpoint(path) || this.#config.require_token_for_all)
    ) {
      return this.#authorize(request);
    }
    return undefined;
  }

  #hostAllowed(hostHeader: string): boolean {
    if (this.#allowedHosts.has("*")) return true;
    const host = hostHeader.toLowerCase();
    if (this.#allowedHosts.has(host)) return true;
    const name = hostName(host);
    if (name === "" || this.#allowedHosts.has(name)) return name !== "";
    return name === "localhost" || name.endsWith(".localhost") || isIpAddress(name) ||
      name === this.#config.listen_address.toLowerCase();
  }

  #crossSite(request: Request, host: string): AdminRefusal | undefined {
    const origin = request.headers.get("origin");
    if (origin !== null) {
      const normalized = origin.toLowerCase().replace(/\/+$/, "");
      if (this.#allowedOrigins.has("*") || this.#allowedOrigins.has(normalized)) return undefined;
      let originHost: string | undefined;
      try {
        originHost = new URL(normalized).host;
      } catch {
        originHost = undefined;
      }
      if (originHost === host.toLowerCase()) return undefined;
      return refuse(
        "origin",
        403,
        `origin ${JSON.stringify(origin)} is not allowed to change state; add it to ` +
          "service.telemetry.http.allowed_origins",
      );
    }
    if (request.headers.get("sec-fetch-site") === "cross-site") {
      return refuse("origin", 403, "cross-site requests may not change state");
    }
    return undefined;
  }

  #authorize(request: Request): AdminRefusal | undefined {
    let token: string;
    try {
      token = this.#token!();
    } catch (error) {
      return refuse(
        "token_unavailable",
        503,
        `admin bearer token unavailable: ${(error as Error).message}`,
      );
    }
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match && constantTimeEqual(match[1]!, token)) return undefined;
    const response = new Response(
      header === "" ? "bearer token required\n" : "wrong bearer token\n",
      { status: 401, headers: { ...TEXT, "www-authenticate": 'Bearer realm="profcol admin"' } },
    );
    return { reason: "token", response };
  }
}

function refuse(reason: RefusalReason, status: number, message: string): AdminRefusal {
  return { reason, response: new Response(message + "\n", { status, headers: TEXT }) };
}

/** The host name of a `Host` header value (brackets of an IPv6 address removed, port cut). */
function hostName(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? "" : host.slice(1, end);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}

function isIpAddress(name: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return name.split(".").every((part) => +part <= 255);
  return name.includes(":") && /^[0-9a-f:.]+(%.+)?$/.test(name);
}

/** Compares without an early exit, so the time taken does not tell how much matched. */
function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < right.length; i++) diff |= (left[i % (left.length || 1)] ?? 0) ^ right[i]!;
  return diff === 0;
}
