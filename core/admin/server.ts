/**
 * The admin HTTP server (`service.telemetry.http`, default 127.0.0.1:12345):
 *
 * | route | answer |
 * |---|---|
 * | `GET /metrics` | Prometheus text format 0.0.4 |
 * | `GET /-/healthy` | 200 while the process serves |
 * | `GET /-/ready` | 200 once the graph is started, else 503 |
 * | `POST /-/reload` | re-reads the config; 200 when swapped, 400 with the reason when kept |
 * | `GET /api/v1/status` | JSON: state, pipelines, components, published status |
 * | `GET /api/v1/targets` | JSON array merged from the `"targets"` status providers |
 * | `GET /status` | the status as one plain HTML page |
 * | `GET /`, `/components/<id>`, `/components/<id>/live`, `/targets`, `/flame/<series>` | the operator console (`console/console.ts`) |
 * | `GET /api/v1/components`, `/api/v1/profiles…`, `/api/v1/components/<id>/live` | its JSON and event stream |
 * | `GET /debug/pprof/profile?seconds=N`, `/debug/pprof/heap`, `/debug/pprof/allocs` | the collector's own CPU and heap profiles (pprof); `seconds` at most 60 |
 *
 * Every request first passes the guard (`guard.ts`: allowed `Host`, same-origin POST for
 * `/-/reload`, the optional bearer token). Every text answer passes the redaction rule
 * (`core/redact.ts`) on its way out, whatever route built it.
 *
 * @module
 */

import { redactText } from "../redact.ts";
import type { Service } from "../service/service.ts";
import type { Logger } from "../telemetry/logger.ts";
import { LogRepeater } from "../telemetry/log_repeat.ts";
import type { Counter, MetricsRegistry } from "../telemetry/metrics.ts";
import { Console, consoleHeader } from "../../console/console.ts";
import type { ConsoleState } from "../../console/console_state.ts";
import { AdminGuard } from "./guard.ts";
import { type PageInfo, renderStatusPage } from "./page.ts";

/** Outcome of a reload as the admin server reports it. */
export interface ReloadOutcome {
  readonly ok: boolean;
  readonly message: string;
}

/** What the admin server serves. */
export interface AdminOptions {
  readonly hostname: string;
  readonly port: number;
  readonly service: Service;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  /** The console's profile ring and last errors (the collector's, kept across admin servers). */
  readonly console: ConsoleState;
  /** Triggers a reload from the config files. */
  readonly reload: () => Promise<ReloadOutcome>;
  readonly info: () => PageInfo;
  /** Who may call what; default: the guard of the default settings (no token). */
  readonly guard?: AdminGuard;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const JSON_TYPE = { "content-type": "application/json" };

/** The admin server. */
export class AdminServer {
  readonly #options: AdminOptions;
  #guard: AdminGuard;
  readonly #refused: Counter;
  readonly #refusals: LogRepeater;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  /** The operator console's routes. */
  readonly console: Console;

  constructor(options: AdminOptions) {
    this.#options = options;
    this.#refused = options.metrics.counter(
      "profcol_admin_refused_requests_total",
      "Admin requests refused by the guard, by reason (host, origin, method, token, " +
        "token_unavailable).",
      ["reason"],
    );
    this.#refusals = new LogRepeater(options.logger);
    this.#guard = options.guard ?? new AdminGuard({
      listen_address: options.hostname,
      listen_port: options.port,
      require_token_for_all: false,
      allowed_hosts: [],
      allowed_origins: [],
    });
    this.console = new Console({
      service: options.service,
      metrics: options.metrics,
      logger: options.logger,
      state: options.console,
      header: () => consoleHeader(options.service.status(), options.info()),
    });
  }

  /** Binds and serves; resolves with the bound address (useful with port 0). */
  start(): Promise<Deno.NetAddr> {
    return new Promise((resolve, reject) => {
      try {
        this.#server = Deno.serve({
          hostname: this.#options.hostname,
          port: this.#options.port,
          onListen: (addr) => {
            this.console.start();
            resolve(addr);
          },
          onError: (error) => {
            this.#options.logger.error("admin request failed", { err: error });
            return new Response("internal error\n", { status: 500, headers: TEXT });
          },
        }, (request) => this.handle(request));
      } catch (error) {
        const where = `${this.#options.hostname}:${this.#options.port}`;
        reject(
          new Error(
            `service::telemetry::http: cannot listen on ${where}: ${(error as Error).message}`,
          ),
        );
      }
    });
  }

  /** The bound address, once started. */
  get addr(): Deno.NetAddr | undefined {
    return this.#server?.addr;
  }

  /** Stops serving; safe twice. */
  async shutdown(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.console.close(); // ends live streams and a running CPU profile first
    if (server) await server.shutdown();
  }

  /** Swaps the guard (a reload with the same address keeps the server). */
  set guard(guard: AdminGuard) {
    this.#guard = guard;
  }

  /** Guards, routes and redacts one request (exposed for tests). */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const refusal = this.#guard.check(request, url.pathname);
    if (refusal) {
      this.#refused.inc({ reason: refusal.reason });
      // Loud once (a misconfigured client or someone probing), then once a minute with a count.
      this.#refusals.warn(
        `refused:${refusal.reason}`,
        "admin request refused",
        () => ({
          reason: refusal.reason,
          status: refusal.response.status,
          method: request.method,
          path: url.pathname,
          host: request.headers.get("host") ?? "",
          origin: request.headers.get("origin") ?? "",
        }),
        1,
        "requests",
      );
      return refusal.response;
    }
    return redactResponse(await this.#route(request, url));
  }

  async #route(request: Request, url: URL): Promise<Response> {
    const { service } = this.#options;
    const method = request.method;
    const only = (allowed: string) =>
      new Response(`method ${method} not allowed; use ${allowed}\n`, {
        status: 405,
        headers: { ...TEXT, allow: allowed },
      });
    switch (url.pathname) {
      case "/metrics":
        if (method !== "GET" && method !== "HEAD") return only("GET");
        return new Response(this.#options.metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "/-/healthy":
        return new Response("profcol is healthy.\n", { headers: TEXT });
      case "/-/ready":
        return service.ready
          ? new Response("profcol is ready.\n", { headers: TEXT })
          : new Response(`profcol is not ready (${service.state}).\n`, {
            status: 503,
            headers: TEXT,
          });
      case "/-/reload": {
        // POST only and same-origin: checked by the guard.
        const outcome = await this.#options.reload();
        return new Response(outcome.message + "\n", {
          status: outcome.ok ? 200 : 400,
          headers: TEXT,
        });
      }
      case "/api/v1/status":
        return Response.json(service.status(), { headers: JSON_TYPE });
      case "/api/v1/targets":
        return Response.json(service.published("targets"), { headers: JSON_TYPE });
      case "/status":
        if (method !== "GET" && method !== "HEAD") return only("GET");
        return new Response(renderStatusPage(service.status(), this.#options.info()), {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      default:
        return await this.console.handle(request, url) ??
          new Response(`not found: ${url.pathname}\n`, { status: 404, headers: TEXT });
    }
  }
}

const REDACTED_TYPES = /^(text\/(plain|html)|application\/json)\b/;

/** A text answer with the redaction rule applied; other answers (pprof, streams) as they are. */
async function redactResponse(response: Response): Promise<Response> {
  const type = response.headers.get("content-type") ?? "";
  if (response.body === null || !REDACTED_TYPES.test(type)) return response;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(redactText(await response.text()), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
