/**
 * The core both HTTP ingest receivers (`pyroscope.receive_http`, `otlp`) stand on: a route
 * table, the server, the request gate (in-flight cap with fair slots, early refusal under
 * overload), body reading with the slow-client limits, the `Content-Encoding` check and capped
 * gunzip, one failure → status/reason/`Retry-After` mapping ({@linkcode answerOf}), failure
 * logging (the first unexpected failure at error, repeats at debug) and the metrics
 * ({@linkcode IngestMetrics}, in-flight gauge included).
 *
 * A receiver supplies its routes (adding a route is one entry), how its errors are rendered
 * (Connect JSON, `google.rpc.Status`, …) and the work of each route.
 *
 * @module
 */

import type { ComponentSettings, Consumer } from "../component.ts";
import type { Item } from "../items.ts";
import { readBody } from "../http/read_body.ts";
import { RequestGate } from "../http/request_gate.ts";
import { type HandlerContext, HttpError, type RunningServer, serve } from "../http/server.ts";
import type { HttpServerConfig, TlsServerConfig } from "../http/server_config.ts";
import { gunzipBody } from "./gunzip_body.ts";
import { IngestMetrics } from "./ingest_metrics.ts";
import { answerOf, type FailureAnswer, unsupportedEncoding } from "./refusal.ts";
import { answerMarginMs, deadlineExceeded, incomingDeadline } from "./deadline.ts";

/** The peer address of a request answered in process (no socket). */
export const NO_PEER: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 0 };

/** What a route's work gets beside the request. */
export interface IngestRequest {
  readonly request: Request;
  readonly url: URL;
  readonly route: string;
  /** Aborted when the client goes away or the server shuts down (for routes that stream). */
  readonly signal: AbortSignal;
  /** When the caller stops waiting (epoch ms, from `Connect-Timeout-Ms`); `undefined` if never. */
  readonly deadline: number | undefined;
  /**
   * Takes an in-flight slot, reads the body (decoded from its `Content-Encoding`) and runs
   * `work` with it, all inside the slot. Refusals are thrown as typed errors. With a
   * {@linkcode deadline}, a request not queued by then is answered 504 `deadline_exceeded`
   * just before it (its body read is cut) and never queued afterwards; one whose queuing has
   * begun is answered with what happened, so a retry duplicates nothing.
   */
  withBody<T>(work: (body: Uint8Array) => Promise<T>): Promise<T>;
  /**
   * Hands the whole request to the pipeline (all of it is queued, or none); the pipeline counts
   * what it accepted (`profcol_receiver_accepted_profiles_total`).
   */
  consume(items: readonly Item[]): Promise<void>;
}

/** One entry of the route table. */
export interface IngestRoute {
  /** The metric label of the route. */
  readonly name: string;
  /** Whether a request path belongs to this route. */
  matches(path: string): boolean;
  /** Answers a request of the route; throw an `HttpError` or refusal to fail it. */
  handle(request: IngestRequest): Promise<Response>;
  /** Changes every answer of the route, success or failure (e.g. gRPC-Web framing). */
  finish?(request: Request, response: Response): Promise<Response>;
}

/** Options of {@linkcode IngestServer}. */
export interface IngestServerOptions {
  readonly settings: ComponentSettings;
  /** Metric name prefix (e.g. `profcol_receive_http`) and the receiver's name for help texts. */
  readonly metrics: { readonly prefix: string; readonly who: string };
  readonly http: HttpServerConfig;
  readonly tls?: TlsServerConfig;
  readonly next: Consumer;
  readonly maxRequestBodySize: number;
  readonly maxRequestsInFlight: number;
  readonly retryAfterSeconds: number;
  readonly routes: readonly IngestRoute[];
  /**
   * Put the request's deadline on the items it queues (`Item.deadline`), so writers downstream
   * send what is left of it and give up when it passes (`deadline_propagation`).
   */
  readonly carryDeadline?: boolean;
  /** Renders a failure; `route` is `undefined` when no route matched. */
  renderFailure(route: string | undefined, request: Request, answer: FailureAnswer): Response;
  /** The failure for a path no route matches. */
  notFound(path: string): HttpError;
}

/** See the module doc. */
export class IngestServer {
  readonly #options: IngestServerOptions;
  readonly #metrics: IngestMetrics;
  readonly #gate: RequestGate;
  readonly #closing = new AbortController();
  #server: RunningServer | undefined;
  #failureLogged = false;

  constructor(options: IngestServerOptions) {
    this.#options = options;
    const { settings, http } = options;
    this.#metrics = new IngestMetrics(
      settings.metrics,
      options.metrics.prefix,
      options.metrics.who,
      settings.id,
    );
    this.#gate = new RequestGate({
      maxInFlight: options.maxRequestsInFlight,
      retryAfterSeconds: options.retryAfterSeconds,
      minBytesPerSecond: http.server_min_body_rate,
      onChange: (delta) => this.#metrics.inFlight(delta),
    });
  }

  /** The bound server's base URL (after `start`). */
  get url(): string | undefined {
    return this.#server?.url;
  }

  async start(): Promise<RunningServer> {
    this.#server ??= await serve({
      http: this.#options.http,
      tls: this.#options.tls,
      logger: this.#options.settings.logger,
      handler: (request, context) => this.handle(request, context),
      onRefused: (reason) => this.#metrics.refused(reason),
    });
    return this.#server;
  }

  async shutdown(): Promise<void> {
    this.#closing.abort();
    await this.#server?.shutdown();
  }

  /** Answers one request as the server would; without `context`, in process (no socket). */
  async handle(request: Request, context?: HandlerContext): Promise<Response> {
    const signal = context?.signal ?? this.#closing.signal;
    const url = new URL(request.url);
    const route = this.#options.routes.find((one) => one.matches(url.pathname));
    let response: Response;
    try {
      if (route === undefined) throw this.#options.notFound(url.pathname);
      if (request.method !== "POST") {
        throw new HttpError(
          405,
          `method ${request.method} not allowed; use POST`,
          "method_not_allowed",
          {
            allow: "POST",
          },
        );
      }
      response = await route.handle(this.#ingestRequest(route.name, request, url, signal));
    } catch (error) {
      response = this.#failure(route?.name, request, error);
    }
    this.#metrics.request(route?.name ?? "other", response.status);
    return route?.finish ? await route.finish(request, response) : response;
  }

  #ingestRequest(route: string, request: Request, url: URL, signal: AbortSignal): IngestRequest {
    const options = this.#options;
    const arrived = Date.now();
    const deadline = incomingDeadline(request.headers, arrived);
    const timeoutMs = deadline === undefined ? 0 : deadline - arrived;
    // The answer must reach the caller before its own timer fires.
    const answerBy = deadline === undefined ? Infinity : deadline - answerMarginMs(timeoutMs);
    // "expired": answered 504, must never be queued; "queuing": must be answered as it ends.
    let phase: "working" | "queuing" | "expired" = "working";
    const cut = new AbortController();
    const readSignal = deadline === undefined ? signal : AbortSignal.any([signal, cut.signal]);
    return {
      request,
      url,
      route,
      signal,
      deadline,
      withBody: <T>(work: (body: Uint8Array) => Promise<T>) => {
        // Checked before a slot is taken: an undecodable body is not worth reading.
        const encoding = (request.headers.get("content-encoding") ?? "identity").trim()
          .toLowerCase();
        if (encoding !== "identity" && encoding !== "gzip") throw unsupportedEncoding(encoding);
        const run = this.#gate.run(async (slot) => {
          // Under overload, refuse before reading: a body that cannot be queued is not buffered.
          this.#gate.refuseEarly(request, options.next);
          let body = await readBody(request, {
            maxBytes: options.maxRequestBodySize,
            timeoutMs: options.http.server_read_timeout,
            minBytesPerSecond: options.http.server_min_body_rate,
            minRateGraceMs: options.http.server_min_body_rate_grace,
            signal: readSignal,
            progress: slot,
          });
          this.#metrics.bytes(route, body.byteLength);
          if (encoding === "gzip") body = await gunzipBody(body, options.maxRequestBodySize);
          return await work(body);
        });
        if (deadline === undefined) return run;
        return new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => {
            if (phase !== "working") return;
            phase = "expired";
            cut.abort(); // the slot is freed; what the cut work throws is not an answer
            reject(deadlineExceeded(timeoutMs));
          }, Math.max(0, answerBy - Date.now()));
          run.then(resolve, reject).finally(() => clearTimeout(timer));
        });
      },
      consume: async (items) => {
        if (phase === "expired" || Date.now() >= answerBy) {
          phase = "expired";
          throw deadlineExceeded(timeoutMs);
        }
        phase = "queuing";
        const carried = options.carryDeadline && deadline !== undefined
          ? items.map((item) => ({ ...item, deadline }))
          : items;
        if (carried.length > 0) await options.next.consume(carried);
      },
    };
  }

  #failure(route: string | undefined, request: Request, error: unknown): Response {
    let answer = answerOf(error);
    if (answer === undefined) {
      // The first unexpected failure is worth an error line; repeats would flood the log.
      const fields = { route: route ?? "other", err: error };
      const logger = this.#options.settings.logger;
      if (this.#failureLogged) logger.debug("request failed", fields);
      else logger.error("request failed (repeats are logged at debug)", fields);
      this.#failureLogged = true;
      answer = {
        status: 500,
        reason: "error",
        message: `internal error: ${(error as Error)?.message ?? error}`,
        headers: {},
      };
    }
    this.#metrics.refused(answer.reason);
    return this.#options.renderFailure(route, request, answer);
  }
}
