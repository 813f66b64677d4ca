/**
 * The `pyroscope.receive_http` receiver: a Pyroscope-compatible ingest gateway. It hands the
 * pipeline each request whole (every series of a Push, or one upload) and answers once all of
 * it is queued (not after the downstream push), or none of it is: full exporter queues become
 * 429 with `Retry-After` instead of buffering, a request that can never fit 413.
 *
 * {@linkcode ReceiveHttpReceiver.handle} answers a `Request` in process, as Hono's
 * `app.request` does, so unit tests need no socket.
 *
 * @module
 */

import { BackpressureError, InvalidItemError, TooLargeError } from "../../core/admission.ts";
import type { ComponentSettings, Consumer, Receiver } from "../../core/component.ts";
import { RequestGate } from "../../core/http/request_gate.ts";
import { tenantLabeler } from "../../core/http/tenant.ts";
import type { Item } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import {
  type HandlerContext,
  HttpError,
  readBody,
  type RunningServer,
  serve,
} from "../../core/http/server.ts";
import { type ConnectCode, connectErrorBody } from "../../core/wire/connect.ts";
import { Authenticator } from "./auth.ts";
import type { ReceiveHttpConfig } from "./config.ts";
import {
  checkIngestBody,
  ingestItem,
  labelsFromQuery,
  type ProfileCheck,
  profileCheck,
} from "./ingest.ts";
import {
  grpcWebCodec,
  isPlainGrpc,
  PLAIN_GRPC_MESSAGE,
  toGrpcWeb,
  unframeGrpcWeb,
} from "./grpc_web.ts";
import { ReceiveHttpMetrics, type Route } from "./metrics.ts";
import { handleDebuginfo, isDebuginfoPath } from "./debuginfo.ts";
import {
  ACCEPT_POST,
  decodePushBody,
  gunzipLimited,
  PUSH_PATH,
  PUSH_SERVICE_PREFIX,
  pushCodec,
  pushItems,
} from "./push.ts";

/** Connect code for an HTTP status on the push route (handler side). */
function pushCode(status: number): ConnectCode {
  switch (status) {
    case 400:
    case 413:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 404:
      return "not_found";
    case 408:
      return "deadline_exceeded";
    case 429:
      return "resource_exhausted";
    case 501:
      return "unimplemented";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "unknown";
  }
}

/** The code Pyroscope's plain-HTTP handlers put in JSON error bodies (`HTTPToCode`). */
function ingestCode(status: number): ConnectCode {
  switch (status) {
    case 400:
    case 413:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 404:
      return "unimplemented";
    case 429:
      return "resource_exhausted";
    case 503:
      return "unavailable";
    default:
      return "unknown";
  }
}

function errorResponse(
  route: Route,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const code = route === "push" ? pushCode(status) : ingestCode(status);
  return new Response(connectErrorBody(code, message), {
    status,
    headers: {
      "content-type": "application/json",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}

/** The peer address of a request answered in process. */
const NO_PEER: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 0 };

/** A running `pyroscope.receive_http`. */
export class ReceiveHttpReceiver implements Receiver {
  readonly #settings: ComponentSettings;
  readonly #config: ReceiveHttpConfig;
  readonly #next: Consumer;
  readonly #metrics: ReceiveHttpMetrics;
  readonly #gate: RequestGate;
  readonly #auth: Authenticator;
  readonly #checkProfile: ProfileCheck;
  #server: RunningServer | undefined;
  /** Aborts reads of requests answered through {@linkcode handle} on shutdown. */
  readonly #closing = new AbortController();
  #failureLogged = false;

  constructor(settings: ComponentSettings, config: ReceiveHttpConfig, next: Consumer) {
    this.#settings = settings;
    this.#config = config;
    this.#next = next;
    this.#metrics = new ReceiveHttpMetrics(settings.metrics, settings.id);
    this.#gate = new RequestGate({
      maxInFlight: config.max_requests_in_flight,
      retryAfterSeconds: config.retry_after,
      onChange: (delta) => this.#metrics.inFlight(delta),
    });
    this.#auth = new Authenticator(config.auth ?? { basic_auth: [], bearer_tokens: [] });
    // A decompression bomb stops at 8× the body limit (128 MiB by default).
    this.#checkProfile = profileCheck(config.validate_profiles, 8 * config.max_request_body_size);
  }

  /** The bound server's base URL (after `start`), e.g. `http://127.0.0.1:4040`. */
  get url(): string | undefined {
    return this.#server?.url;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    this.#server = await serve({
      http: this.#config.http,
      tls: this.#config.tls,
      logger: this.#settings.logger,
      handler: (request, context) => this.handle(request, context),
      onRefused: (reason) => this.#metrics.rejected(reason),
    });
    this.#settings.logger.info("receiving profiles", { url: this.#server.url });
  }

  async shutdown(): Promise<void> {
    this.#closing.abort();
    const server = this.#server;
    if (!server) return;
    await server.shutdown();
  }

  /**
   * Answers one request as the server would, without a socket (the server calls this too).
   *
   * @example
   * ```ts ignore
   * const response = await receiver.handle(
   *   new Request("http://x/ingest?name=app&format=pprof", { method: "POST", body }),
   * );
   * ```
   */
  handle(request: Request, context?: HandlerContext): Promise<Response> {
    return this.#handle(request, context ?? { signal: this.#closing.signal, remoteAddr: NO_PEER });
  }

  async #handle(request: Request, context: HandlerContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (isDebuginfoPath(path)) {
      const response = await handleDebuginfo(request, {
        config: this.#config,
        auth: this.#auth,
        next: this.#next,
        signal: context.signal,
      });
      this.#metrics.request("debuginfo", response.status);
      return response;
    }
    const route: Route = path === "/ingest" || path === "/pyroscope/ingest"
      ? "ingest"
      : path.startsWith(PUSH_SERVICE_PREFIX)
      ? "push"
      : "other";
    let response: Response;
    if (route === "other") {
      this.#metrics.rejected("not_found");
      response = new Response("404 page not found\n", {
        status: 404,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    } else {
      try {
        response = await this.#route(route, request, context);
      } catch (error) {
        response = this.#failure(route, error);
      }
    }
    this.#metrics.request(route, response.status);
    // gRPC-Web carries the outcome in a trailers frame of a 200 (the metric keeps the status).
    const contentType = request.headers.get("content-type");
    if (route === "push" && grpcWebCodec(contentType) !== undefined) {
      return await toGrpcWeb(response, contentType!);
    }
    return response;
  }

  #failure(route: Route, error: unknown): Response {
    if (error instanceof HttpError) {
      this.#metrics.rejected(error.reason);
      return errorResponse(route, error.status, error.message);
    }
    if (error instanceof BackpressureError) {
      this.#metrics.rejected("backpressure");
      return errorResponse(route, 429, error.message, {
        "retry-after": String(Math.max(1, Math.ceil(error.retryAfterSeconds))),
      });
    }
    if (error instanceof TooLargeError) {
      this.#metrics.rejected("too_large");
      return errorResponse(route, 413, error.message);
    }
    if (error instanceof InvalidItemError) {
      this.#metrics.rejected("invalid_item");
      return errorResponse(route, 400, error.message);
    }
    this.#metrics.rejected("internal");
    // The first unexpected failure is worth an error line; repeats would flood the log.
    const fields = { route, err: error };
    if (this.#failureLogged) this.#settings.logger.debug("request failed", fields);
    else this.#settings.logger.error("request failed (repeats are logged at debug)", fields);
    this.#failureLogged = true;
    return errorResponse(route, 500, `internal error: ${(error as Error)?.message ?? error}`);
  }

  async #route(route: Route, request: Request, context: HandlerContext): Promise<Response> {
    if (request.method !== "POST") {
      this.#metrics.rejected("method_not_allowed");
      return errorResponse(route, 405, `method ${request.method} not allowed; use POST`, {
        allow: "POST",
      });
    }
    const url = new URL(request.url);
    if (route === "push" && url.pathname !== PUSH_PATH) {
      throw new HttpError(
        404,
        `no procedure ${url.pathname}; only ${PUSH_PATH} is served`,
        "not_found",
      );
    }
    const denied = this.#auth.check(request.headers.get("authorization"));
    if (denied !== undefined) {
      this.#metrics.rejected("unauthenticated");
      return errorResponse(route, 401, denied, { "www-authenticate": this.#auth.challenge });
    }
    const withTenant = tenantLabeler(this.#config.tenant, request);
    if (route === "push") return await this.#push(request, context, withTenant);
    return await this.#ingest(request, url, context, withTenant);
  }

  async #read(route: Route, request: Request, context: HandlerContext): Promise<Uint8Array> {
    // Under overload, refuse before reading: a body that cannot be queued is not buffered.
    this.#gate.refuseEarly(request, this.#next);
    return await readBody(request, {
      maxBytes: this.#config.max_request_body_size,
      timeoutMs: this.#config.http.server_read_timeout,
      signal: context.signal,
    }).then((body) => {
      this.#metrics.bytes(route, body.byteLength);
      return body;
    });
  }

  /** Hands the whole request to the pipeline: all of it is queued, or none of it. */
  async #consume(route: Route, items: readonly Item[], profiles: number): Promise<void> {
    await this.#next.consume(items);
    this.#metrics.accepted(route, profiles);
  }

  #ingest(
    request: Request,
    url: URL,
    context: HandlerContext,
    withTenant: (labels: LabelSet) => LabelSet,
  ): Promise<Response> {
    // Parse the name before reading the body: a bad name fails without the upload cost.
    const labels = withTenant(labelsFromQuery(url));
    return this.#gate.run(async () => {
      const body = await this.#read("ingest", request, context);
      const contentType = request.headers.get("content-type");
      await checkIngestBody(
        url.searchParams.get("format"),
        contentType ?? "",
        body,
        this.#checkProfile,
      );
      await this.#consume("ingest", [ingestItem(labels, url, contentType, body)], 1);
      return new Response(null, { status: 200 });
    });
  }

  #push(
    request: Request,
    context: HandlerContext,
    withTenant: (labels: LabelSet) => LabelSet,
  ): Promise<Response> {
    const contentType = request.headers.get("content-type");
    const grpcWeb = grpcWebCodec(contentType);
    const codec = pushCodec(contentType) ?? grpcWeb;
    if (isPlainGrpc(contentType)) {
      this.#metrics.rejected("unsupported_media_type");
      return Promise.resolve(
        new Response(`${PLAIN_GRPC_MESSAGE}\n`, {
          status: 415,
          headers: {
            "accept-post": ACCEPT_POST,
            "content-type": "text/plain; charset=utf-8",
            "grpc-status": "12",
            "grpc-message": encodeURIComponent(PLAIN_GRPC_MESSAGE),
          },
        }),
      );
    }
    if (codec === undefined) {
      this.#metrics.rejected("unsupported_media_type");
      return Promise.resolve(
        new Response(null, { status: 415, headers: { "accept-post": ACCEPT_POST } }),
      );
    }
    const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      throw new HttpError(
        501,
        `unsupported Content-Encoding ${JSON.stringify(encoding)}: supported are gzip, identity`,
        "unsupported_encoding",
      );
    }
    return this.#gate.run(async () => {
      let body = await this.#read("push", request, context);
      if (encoding === "gzip") body = await gunzipLimited(body, this.#config.max_request_body_size);
      if (grpcWeb !== undefined) {
        body = await unframeGrpcWeb(
          body,
          request.headers.get("grpc-encoding"),
          this.#config.max_request_body_size,
        );
      }
      const items = pushItems(decodePushBody(codec, body), withTenant, this.#checkProfile);
      let profiles = 0;
      for (const item of items) profiles += item.samples.length;
      await this.#consume("push", items, profiles);
      return codec === "proto"
        ? new Response(null, { status: 200, headers: { "content-type": "application/proto" } })
        : new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    });
  }
}
