/**
 * The `pyroscope.receive_http` receiver: a Pyroscope-compatible ingest gateway on the ingest
 * core (`core/ingest/ingest_server.ts`). It hands the pipeline each request whole (every
 * series of a Push, or one upload) and answers once all of it is queued (not after the
 * downstream push), or none of it is: full exporter queues become 429 with `Retry-After`
 * instead of buffering, a request that can never fit 413.
 *
 * {@linkcode ReceiveHttpReceiver.handle} answers a `Request` in process, as Hono's
 * `app.request` does, so unit tests need no socket.
 *
 * @module
 */

import type { ComponentSettings, Consumer, Receiver } from "../../core/component.ts";
import { tenantLabeler } from "../../core/http/tenant.ts";
import { type HandlerContext, HttpError } from "../../core/http/server.ts";
import { type IngestRequest, IngestServer } from "../../core/ingest/ingest_server.ts";
import type { FailureAnswer } from "../../core/ingest/refusal.ts";
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
import { handleDebuginfo, isDebuginfoPath } from "./debuginfo.ts";
import {
  ACCEPT_POST,
  decodePushBody,
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
    case 504:
      return "deadline_exceeded";
    case 429:
      return "resource_exhausted";
    case 415:
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
    case 504:
      return "deadline_exceeded";
    default:
      return "unknown";
  }
}

/** A failure as Pyroscope answers it: a Connect error body (Go's plain 404 off the routes). */
function renderFailure(route: string | undefined, _request: Request, answer: FailureAnswer) {
  if (route === undefined) {
    return new Response("404 page not found\n", {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const code = route === "push" ? pushCode(answer.status) : ingestCode(answer.status);
  return new Response(connectErrorBody(code, answer.message), {
    status: answer.status,
    headers: {
      "content-type": "application/json",
      "x-content-type-options": "nosniff",
      ...answer.headers,
    },
  });
}

/** A running `pyroscope.receive_http`. */
export class ReceiveHttpReceiver implements Receiver {
  readonly #settings: ComponentSettings;
  readonly #config: ReceiveHttpConfig;
  readonly #server: IngestServer;
  readonly #auth: Authenticator;
  readonly #checkProfile: ProfileCheck;

  constructor(settings: ComponentSettings, config: ReceiveHttpConfig, next: Consumer) {
    this.#settings = settings;
    this.#config = config;
    this.#auth = new Authenticator(config.auth ?? { basic_auth: [], bearer_tokens: [] });
    // A decompressed profile over the body limit is refused (4× Pyroscope's default
    // max_profile_size_bytes of 4 MiB), which also bounds the work a gzip bomb costs.
    this.#checkProfile = profileCheck(config.validate_profiles, config.max_request_body_size);
    this.#server = new IngestServer({
      settings,
      metrics: { prefix: "profcol_receive_http", who: "pyroscope.receive_http" },
      http: config.http,
      tls: config.tls,
      next,
      maxRequestBodySize: config.max_request_body_size,
      maxRequestsInFlight: config.max_requests_in_flight,
      retryAfterSeconds: config.retry_after / 1000,
      carryDeadline: config.propagate_deadline,
      routes: [
        {
          // Debug-info uploads of eBPF profilers, proxied to pyroscope.write (streamed: the
          // handler reads the body itself, within max_request_body_size / the upload cap).
          name: "debuginfo",
          matches: isDebuginfoPath,
          handle: (request) =>
            handleDebuginfo(request.request, {
              config: this.#config,
              auth: this.#auth,
              next,
              signal: request.signal,
            }),
        },
        {
          name: "ingest",
          matches: (path) => path === "/ingest" || path === "/pyroscope/ingest",
          handle: (request) => this.#ingest(request),
        },
        {
          name: "push",
          matches: (path) => path.startsWith(PUSH_SERVICE_PREFIX),
          handle: (request) => this.#push(request),
          finish: finishPush,
        },
      ],
      renderFailure,
      notFound: (path) => new HttpError(404, `no route ${path}`, "not_found"),
    });
  }

  /** The bound server's base URL (after `start`), e.g. `http://127.0.0.1:4040`. */
  get url(): string | undefined {
    return this.#server.url;
  }

  async start(): Promise<void> {
    if (this.#server.url !== undefined) return;
    const server = await this.#server.start();
    this.#settings.logger.info("receiving profiles", { url: server.url });
  }

  shutdown(): Promise<void> {
    return this.#server.shutdown();
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
    return this.#server.handle(request, context);
  }

  /** Throws 401 unless the request carries accepted credentials (when `auth` is set). */
  #authorize(request: IngestRequest): void {
    const denied = this.#auth.check(request.request.headers.get("authorization"));
    if (denied !== undefined) {
      throw new HttpError(401, denied, "unauthenticated", {
        "www-authenticate": this.#auth.challenge,
      });
    }
  }

  #ingest(request: IngestRequest): Promise<Response> {
    this.#authorize(request);
    const { url } = request;
    // Parse the name before reading the body: a bad name fails without the upload cost.
    const labels = tenantLabeler(this.#config.tenant, request.request)(labelsFromQuery(url));
    return request.withBody(async (body) => {
      const contentType = request.request.headers.get("content-type");
      await checkIngestBody(
        url.searchParams.get("format"),
        contentType ?? "",
        body,
        this.#checkProfile,
      );
      await request.consume([ingestItem(labels, url, contentType, body)]);
      return new Response(null, { status: 200 });
    });
  }

  #push(request: IngestRequest): Promise<Response> {
    if (request.url.pathname !== PUSH_PATH) {
      throw new HttpError(
        404,
        `no procedure ${request.url.pathname}; only ${PUSH_PATH} is served`,
        "not_found",
      );
    }
    this.#authorize(request);
    const headers = request.request.headers;
    const contentType = headers.get("content-type");
    const grpcWeb = grpcWebCodec(contentType);
    const codec = pushCodec(contentType) ?? grpcWeb;
    if (isPlainGrpc(contentType)) {
      throw new HttpError(415, PLAIN_GRPC_MESSAGE, "unsupported_media_type", {
        "accept-post": ACCEPT_POST,
        "grpc-status": "12",
        "grpc-message": encodeURIComponent(PLAIN_GRPC_MESSAGE),
      });
    }
    if (codec === undefined) {
      throw new HttpError(
        415,
        `unsupported Content-Type ${JSON.stringify(contentType ?? "")}; use one of ${ACCEPT_POST}`,
        "unsupported_media_type",
        { "accept-post": ACCEPT_POST },
      );
    }
    const withTenant = tenantLabeler(this.#config.tenant, request.request);
    const limit = this.#config.max_series_per_request;
    return request.withBody(async (raw) => {
      let body = raw;
      if (grpcWeb !== undefined) {
        body = await unframeGrpcWeb(
          body,
          headers.get("grpc-encoding"),
          this.#config.max_request_body_size,
        );
      }
      const series = decodePushBody(codec, body, limit);
      const items = await pushItems(series, withTenant, this.#checkProfile);
      let profiles = 0;
      for (const item of items) profiles += item.samples.length;
      await request.consume(items);
      return codec === "proto"
        ? new Response(null, { status: 200, headers: { "content-type": "application/proto" } })
        : new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    });
  }
}

/** gRPC-Web carries the outcome in a trailers frame of a 200 (the metric keeps the status). */
function finishPush(request: Request, response: Response): Promise<Response> {
  const contentType = request.headers.get("content-type");
  return grpcWebCodec(contentType) === undefined
    ? Promise.resolve(response)
    : toGrpcWeb(response, contentType!);
}
