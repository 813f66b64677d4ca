/**
 * The `otlp` receiver: OpenTelemetry profiles over OTLP/HTTP (`POST /v1development/profiles`,
 * `application/x-protobuf` or `application/json`, optionally gzip). Each request is decoded
 * (`core/wire/otlp_profiles.ts`), converted to pprof (`core/wire/otlp_pprof.ts`) and handed to
 * the pipeline whole: every profile of it is queued, or none (429/413/400). Profiles that
 * cannot be converted are reported in `partialSuccess` of a 200, as the OTLP spec says.
 *
 * @module
 */

import { BackpressureError, InvalidItemError, TooLargeError } from "../../core/admission.ts";
import type { ComponentSettings, Consumer, Receiver } from "../../core/component.ts";
import { RequestGate } from "../../core/http/request_gate.ts";
import { tenantLabeler } from "../../core/http/tenant.ts";
import type { PushItem, RawSample } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import {
  type HandlerContext,
  HttpError,
  readBody,
  type RunningServer,
  serve,
} from "../../core/http/server.ts";
import type { MetricsRegistry } from "../../core/telemetry/metrics.ts";
import { otlpToPprof } from "../../core/wire/otlp_pprof.ts";
import {
  checkLayoutHeader,
  decodeExportRequest,
  encodeExportResponse,
  encodeStatus,
  type ExportProfilesRequest,
  OTLP_PROFILES_VERSION_HEADER,
  OtlpDecodeError,
  OtlpLayoutError,
} from "../../core/wire/otlp_profiles.ts";
import {
  decodeExportRequestJson,
  encodeExportResponseJson,
} from "../../core/wire/otlp_profiles_json.ts";
import { encodeProfile } from "../../pprof/profile.ts";
import { gunzip, gzip, GzipCorruptError, GzipTooLargeError } from "../../pprof/gzip.ts";
import { type OtlpReceiverConfig, parseEndpoint } from "./config.ts";

type Codec = "proto" | "json";

/** The codec of a Content-Type, `undefined` when unsupported. */
export function otlpCodec(contentType: string | null): Codec | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-protobuf" || type === "application/protobuf") return "proto";
  if (type === "application/json") return "json";
  return undefined;
}

/** gRPC status code for an HTTP status (the `code` of the `google.rpc.Status` body). */
function grpcCode(status: number): number {
  switch (status) {
    case 400:
    case 413:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 404:
      return 5; // NOT_FOUND
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 415:
    case 501:
      return 12; // UNIMPLEMENTED
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}

/** An OTLP error answer: a `google.rpc.Status` in the request's encoding. */
function statusResponse(
  codec: Codec | undefined,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const code = grpcCode(status);
  if (codec === "proto") {
    return new Response(encodeStatus(code, message) as BodyInit, {
      status,
      headers: { "content-type": "application/x-protobuf", ...headers },
    });
  }
  if (codec === "json") {
    return new Response(JSON.stringify({ code, message }), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  }
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

const NO_PEER: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 0 };

class Metrics {
  readonly #requests;
  readonly #profiles;
  readonly #rejectedProfiles;
  readonly #bytes;
  constructor(registry: MetricsRegistry, readonly id: string) {
    this.#requests = registry.counter(
      "profcol_otlp_receiver_requests_total",
      "HTTP requests answered by the otlp receiver, by status code.",
      ["component_id", "status"],
    );
    this.#bytes = registry.counter(
      "profcol_otlp_receiver_received_bytes_total",
      "Request body bytes received by the otlp receiver (as sent, before decompression).",
      ["component_id"],
    );
    this.#profiles = registry.counter(
      "profcol_otlp_receiver_accepted_profiles_total",
      "OTLP profiles accepted into the pipeline by the otlp receiver.",
      ["component_id"],
    );
    this.#rejectedProfiles = registry.counter(
      "profcol_otlp_receiver_rejected_profiles_total",
      "OTLP profiles reported as rejected in partialSuccess by the otlp receiver.",
      ["component_id"],
    );
  }
  request(status: number) {
    this.#requests.inc({ component_id: this.id, status: String(status) });
  }
  bytes(n: number) {
    this.#bytes.inc({ component_id: this.id }, n);
  }
  accepted(n: number) {
    this.#profiles.inc({ component_id: this.id }, n);
  }
  rejected(n: number) {
    this.#rejectedProfiles.inc({ component_id: this.id }, n);
  }
}

/** A running `otlp` receiver. */
export class OtlpReceiver implements Receiver {
  readonly #settings: ComponentSettings;
  readonly #config: OtlpReceiverConfig;
  readonly #next: Consumer;
  readonly #metrics: Metrics;
  readonly #gate: RequestGate;
  readonly #closing = new AbortController();
  #server: RunningServer | undefined;
  #failureLogged = false;

  constructor(settings: ComponentSettings, config: OtlpReceiverConfig, next: Consumer) {
    this.#settings = settings;
    this.#config = config;
    this.#next = next;
    this.#metrics = new Metrics(settings.metrics, settings.id);
    this.#gate = new RequestGate({
      maxInFlight: config.max_requests_in_flight,
      retryAfterSeconds: config.retry_after,
    });
  }

  /** The bound server's base URL (after `start`). */
  get url(): string | undefined {
    return this.#server?.url;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const http = this.#config.protocols.http;
    const { host, port } = parseEndpoint(http.endpoint)!;
    this.#server = await serve({
      http: {
        listen_address: host,
        listen_port: port,
        conn_limit: http.conn_limit,
        server_read_timeout: http.server_read_timeout,
        server_write_timeout: http.server_write_timeout,
        server_idle_timeout: http.server_idle_timeout,
      },
      tls: http.tls,
      logger: this.#settings.logger,
      handler: (request, context) => this.handle(request, context),
    });
    this.#settings.logger.info("receiving OTLP profiles", {
      url: `${this.#server.url}${http.profiles_url_path}`,
    });
  }

  async shutdown(): Promise<void> {
    this.#closing.abort();
    await this.#server?.shutdown();
  }

  /** Answers one request as the server would, without a socket. */
  async handle(request: Request, context?: HandlerContext): Promise<Response> {
    const codec = otlpCodec(request.headers.get("content-type"));
    let response: Response;
    try {
      response = await this.#route(
        request,
        codec,
        context ?? { signal: this.#closing.signal, remoteAddr: NO_PEER },
      );
    } catch (error) {
      response = this.#failure(codec, error);
    }
    this.#metrics.request(response.status);
    return response;
  }

  #failure(codec: Codec | undefined, error: unknown): Response {
    if (error instanceof HttpError) return statusResponse(codec, error.status, error.message);
    if (error instanceof BackpressureError) {
      return statusResponse(codec, 429, error.message, {
        "retry-after": String(Math.max(1, Math.ceil(error.retryAfterSeconds))),
      });
    }
    if (error instanceof TooLargeError) return statusResponse(codec, 413, error.message);
    if (error instanceof InvalidItemError) return statusResponse(codec, 400, error.message);
    if (error instanceof OtlpLayoutError || error instanceof OtlpDecodeError) {
      return statusResponse(codec, 400, error.message);
    }
    const fields = { err: error };
    if (this.#failureLogged) this.#settings.logger.debug("request failed", fields);
    else this.#settings.logger.error("request failed (repeats are logged at debug)", fields);
    this.#failureLogged = true;
    return statusResponse(codec, 500, `internal error: ${(error as Error)?.message ?? error}`);
  }

  async #route(request: Request, codec: Codec | undefined, context: HandlerContext) {
    const http = this.#config.protocols.http;
    const path = new URL(request.url).pathname;
    if (path !== http.profiles_url_path) {
      throw new HttpError(
        404,
        `no route ${path}; this receiver takes OTLP profiles at ${http.profiles_url_path} ` +
          "(traces, metrics and logs are not received)",
        "not_found",
      );
    }
    if (request.method !== "POST") {
      return statusResponse(codec, 405, `method ${request.method} not allowed; use POST`, {
        allow: "POST",
      });
    }
    if (codec === undefined) {
      return statusResponse(
        undefined,
        415,
        `unsupported Content-Type ${
          JSON.stringify(request.headers.get("content-type") ?? "")
        }: use application/x-protobuf or application/json`,
        { "accept-post": "application/x-protobuf, application/json" },
      );
    }
    checkLayoutHeader(request.headers.get(OTLP_PROFILES_VERSION_HEADER));
    const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      throw new HttpError(
        415,
        `unsupported Content-Encoding ${JSON.stringify(encoding)}: supported are gzip, identity`,
        "unsupported_encoding",
      );
    }
    const withTenant = tenantLabeler(this.#config.tenant, request);
    return await this.#gate.run(async () => {
      let body = await this.#read(request, context);
      if (encoding === "gzip") body = gunzipLimited(body, http.max_request_body_size);
      const decoded: ExportProfilesRequest = codec === "proto"
        ? decodeExportRequest(body)
        : decodeExportRequestJson(body);
      const { profiles, rejected, errors } = otlpToPprof(decoded);
      const items = new Map<string, { labels: LabelSet; samples: RawSample[] }>();
      let accepted = 0;
      for (const one of profiles) {
        const labels = withTenant(LabelSet.from(one.labels));
        const key = labels.key();
        let item = items.get(key);
        if (!item) items.set(key, item = { labels, samples: [] });
        item.samples.push({ rawProfile: gzip(encodeProfile(one.profile)) });
        accepted += one.otlpProfiles;
      }
      const pushItems: PushItem[] = [...items.values()].map((one) => ({ kind: "push", ...one }));
      if (pushItems.length > 0) await this.#next.consume(pushItems);
      this.#metrics.accepted(accepted);
      let message = "";
      if (rejected > 0) {
        this.#metrics.rejected(rejected);
        message = errors.join("; ");
        this.#settings.logger.debug("OTLP profiles rejected", { rejected, message });
      }
      return codec === "proto"
        ? new Response(encodeExportResponse(rejected, message) as BodyInit, {
          status: 200,
          headers: { "content-type": "application/x-protobuf" },
        })
        : new Response(encodeExportResponseJson(rejected, message), {
          status: 200,
          headers: { "content-type": "application/json" },
        });
    });
  }

  async #read(request: Request, context: HandlerContext): Promise<Uint8Array> {
    this.#gate.refuseEarly(request, this.#next);
    const http = this.#config.protocols.http;
    const body = await readBody(request, {
      maxBytes: http.max_request_body_size,
      timeoutMs: http.server_read_timeout,
      signal: context.signal,
    });
    this.#metrics.bytes(body.byteLength);
    return body;
  }
}

function gunzipLimited(body: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return gunzip(body, { maxBytes: maxBytes > 0 ? maxBytes : Infinity });
  } catch (error) {
    if (error instanceof GzipTooLargeError) {
      throw new HttpError(
        413,
        `decompressed request body is larger than the limit of ${maxBytes} bytes`,
        "body_too_large",
      );
    }
    const cause = error instanceof GzipCorruptError ? error.cause : error;
    throw new HttpError(400, `gzip request body: ${(cause as Error).message}`, "bad_encoding");
  }
}
