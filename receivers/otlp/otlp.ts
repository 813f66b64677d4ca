/**
 * The `otlp` receiver: OpenTelemetry profiles over OTLP/HTTP (`POST /v1development/profiles`,
 * `application/x-protobuf` or `application/json`, optionally gzip), on the ingest core
 * (`core/ingest/ingest_server.ts`). Each request is decoded (`otlp/otlp_profiles.ts`),
 * converted to pprof (`otlp/otlp_pprof.ts`) and handed to the pipeline whole: every
 * profile of it is queued, or none (429/413/400). Profiles that cannot be converted are
 * reported in `partialSuccess` of a 200, as the OTLP spec says.
 *
 * @module
 */

import type { ComponentSettings, Consumer, Receiver } from "../../core/component.ts";
import { tenantLabeler } from "../../core/http/tenant.ts";
import type { PushItem, RawSample } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { type HandlerContext, HttpError } from "../../core/http/server.ts";
import { type IngestRequest, IngestServer } from "../../core/ingest/ingest_server.ts";
import { checkSeriesCount } from "../../core/ingest/refusal.ts";
import type { MetricsRegistry } from "../../core/telemetry/metrics.ts";
import { otlpToPprof } from "../../otlp/otlp_pprof.ts";
import {
  checkLayoutHeader,
  decodeExportRequest,
  encodeExportResponse,
  encodeStatus,
  type ExportProfilesRequest,
  OTLP_PROFILES_VERSION_HEADER,
  OtlpDecodeError,
  OtlpLayoutError,
} from "../../otlp/otlp_profiles.ts";
import {
  decodeExportRequestJson,
  encodeExportResponseJson,
} from "../../otlp/otlp_profiles_json.ts";
import { encodeProfile } from "../../pprof/profile.ts";
import { gzip } from "../../pprof/gzip.ts";
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
    case 504: // an incoming Connect-Timeout-Ms deadline (core/ingest/deadline.ts)
      return 4; // DEADLINE_EXCEEDED
    case 405:
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
  headers: Readonly<Record<string, string>> = {},
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

/** Profiles reported as rejected in `partialSuccess` (OTLP's word for them). */
class PartialSuccessMetrics {
  readonly #rejectedProfiles;
  constructor(registry: MetricsRegistry, readonly id: string) {
    this.#rejectedProfiles = registry.counter(
      "profcol_otlp_receiver_rejected_profiles_total",
      "OTLP profiles reported as rejected in partialSuccess by the otlp receiver.",
      ["component_id"],
    );
  }
  rejected(n: number) {
    this.#rejectedProfiles.inc({ component_id: this.id }, n);
  }
}

/** A running `otlp` receiver. */
export class OtlpReceiver implements Receiver {
  readonly #settings: ComponentSettings;
  readonly #config: OtlpReceiverConfig;
  readonly #partial: PartialSuccessMetrics;
  readonly #server: IngestServer;

  constructor(settings: ComponentSettings, config: OtlpReceiverConfig, next: Consumer) {
    this.#settings = settings;
    this.#config = config;
    this.#partial = new PartialSuccessMetrics(settings.metrics, settings.id);
    const http = config.protocols.http;
    const { host, port } = parseEndpoint(http.endpoint)!;
    this.#server = new IngestServer({
      settings,
      metrics: { prefix: "profcol_otlp_receiver", who: "the otlp receiver" },
      http: {
        listen_address: host,
        listen_port: port,
        conn_limit: http.conn_limit,
        server_read_timeout: http.server_read_timeout,
        server_write_timeout: http.server_write_timeout,
        server_idle_timeout: http.server_idle_timeout,
        server_read_header_timeout: http.server_read_header_timeout,
        server_min_body_rate: http.server_min_body_rate,
        server_min_body_rate_grace: http.server_min_body_rate_grace,
      },
      tls: http.tls,
      next,
      maxRequestBodySize: http.max_request_body_size,
      maxRequestsInFlight: config.max_requests_in_flight,
      retryAfterSeconds: config.retry_after / 1000,
      routes: [{
        name: "profiles",
        matches: (path) => path === http.profiles_url_path,
        handle: (request) => this.#profiles(request),
      }],
      renderFailure: (_route, request, answer) =>
        statusResponse(
          otlpCodec(request.headers.get("content-type")),
          answer.status,
          answer.message,
          answer.headers,
        ),
      notFound: (path) =>
        new HttpError(
          404,
          `no route ${path}; this receiver takes OTLP profiles at ${http.profiles_url_path} ` +
            "(traces, metrics and logs are not received)",
          "not_found",
        ),
    });
  }

  /** The bound server's base URL (after `start`). */
  get url(): string | undefined {
    return this.#server.url;
  }

  async start(): Promise<void> {
    if (this.#server.url !== undefined) return;
    const server = await this.#server.start();
    this.#settings.logger.info("receiving OTLP profiles", {
      url: `${server.url}${this.#config.protocols.http.profiles_url_path}`,
    });
  }

  shutdown(): Promise<void> {
    return this.#server.shutdown();
  }

  /** Answers one request as the server would, without a socket. */
  handle(request: Request, context?: HandlerContext): Promise<Response> {
    return this.#server.handle(request, context);
  }

  #profiles(request: IngestRequest): Promise<Response> {
    const headers = request.request.headers;
    const codec = otlpCodec(headers.get("content-type"));
    if (codec === undefined) {
      throw new HttpError(
        415,
        `unsupported Content-Type ${
          JSON.stringify(headers.get("content-type") ?? "")
        }: use application/x-protobuf or application/json`,
        "unsupported_media_type",
        { "accept-post": "application/x-protobuf, application/json" },
      );
    }
    try {
      checkLayoutHeader(headers.get(OTLP_PROFILES_VERSION_HEADER));
    } catch (error) {
      throw badMessage(error);
    }
    const withTenant = tenantLabeler(this.#config.tenant, request.request);
    return request.withBody(async (body) => {
      let decoded: ExportProfilesRequest;
      try {
        decoded = codec === "proto" ? decodeExportRequest(body) : decodeExportRequestJson(body);
      } catch (error) {
        throw badMessage(error);
      }
      checkSeriesCount(profileCount(decoded), this.#config.max_series_per_request, "profiles");
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
      const pushItems: PushItem[] = [];
      for (const one of items.values()) pushItems.push({ kind: "push", ...one });
      await request.consume(pushItems);
      let message = "";
      if (rejected > 0) {
        this.#partial.rejected(rejected);
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
}

/** OTLP profiles in a decoded request (what `max_series_per_request` counts). */
function profileCount(request: ExportProfilesRequest): number {
  let count = 0;
  for (const rp of request.resourceProfiles) {
    for (const sp of rp.scopeProfiles) count += sp.profiles.length;
  }
  return count;
}

/** A request that does not decode, or is in another layout: 400 `bad_message`. */
function badMessage(error: unknown): unknown {
  if (error instanceof OtlpLayoutError || error instanceof OtlpDecodeError) {
    return new HttpError(400, error.message, "bad_message");
  }
  return error;
}
