/**
 * One request to one endpoint for a batch of queued items: Connect unary `Push` for push
 * items (spec §3.1, several series per request), the legacy `/ingest` forward for ingest items
 * (spec §4.3, body and query untouched except `name`). Responses become delivery outcomes
 * (`core/delivery/outcome.ts`); nothing here retries.
 *
 * @module
 */

import { bodyPrefix } from "../../core/http/body_prefix.ts";
import type { HttpClient } from "../../core/http/client.ts";
import type { QueuedItem } from "../../core/delivery/item_codec.ts";
import {
  classifyConnectResponse,
  classifyIngestResponse,
  classifyTransportError,
  DELIVERED,
  type Outcome,
} from "../../core/delivery/outcome.ts";
import { encodePushRequest, type PushSeries } from "../../core/wire/push_proto.ts";
import { formatIngestName } from "../../core/wire/ingest_name.ts";
import type { EndpointConfig } from "./config.ts";
import { otlpPusher } from "./otlp_sender.ts";

/** Metadata key of the tenant on a queued item. */
export const TENANT_META = "tenant";

/** Error bodies are read up to this many bytes (Alloy keeps 2048 of them). */
const MAX_ERROR_BODY = 4096;

/**
 * Bodies from this size on are handed to `fetch` as a one-chunk stream: Deno copies a
 * `Uint8Array` body whole before sending (1.0–1.4 ms of CPU per 500 KB batch here, against
 * 0.45–0.47 ms streamed), and batches are this large under load. The stream is sent chunked
 * (no Content-Length), which Pyroscope and every HTTP/1.1 proxy accept.
 */
const STREAM_BODY_BYTES = 256 * 1024;

function streamedIfLarge(body: Uint8Array): BodyInit {
  if (body.byteLength < STREAM_BODY_BYTES) return body as BodyInit;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });
}

/** Builds the `send` function of an endpoint's delivery queue. */
export function endpointSender(
  endpoint: EndpointConfig,
  client: HttpClient,
): (batch: readonly QueuedItem[], signal: AbortSignal) => Promise<Outcome> {
  const base = endpoint.url.replace(/\/+$/, "");
  const pushUrl = `${base}/push.v1.PusherService/Push`;
  const ingestUrl = `${base}/ingest`;
  const timeoutMs = endpoint.remote_timeout;
  const retryOn429 = endpoint.retry_on_http_429;

  const request = async (
    url: string,
    init: RequestInit,
    signal: AbortSignal,
    classify: (response: Response, body: string) => Outcome,
  ): Promise<Outcome> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await client.fetch(url, { ...init, signal: AbortSignal.any([signal, deadline]) });
    } catch (error) {
      return classifyTransportError(error, deadline.aborted, timeoutMs);
    }
    try {
      if (response.status >= 200 && response.status < 300) {
        // Drain: an empty PushResponse, possibly gzipped (spec §3.2), or an ingest answer.
        await response.body?.cancel();
        return classify(response, "");
      }
      return classify(
        response,
        new TextDecoder().decode(await bodyPrefix(response, MAX_ERROR_BODY)),
      );
    } catch (error) {
      return classifyTransportError(error, deadline.aborted, timeoutMs);
    }
  };

  // Retries of a batch reuse its encoded body instead of building it again each attempt.
  const bodies = new WeakMap<readonly QueuedItem[], Uint8Array>();
  const encode = (batch: readonly QueuedItem[]): Uint8Array => {
    let body = bodies.get(batch);
    if (!body) {
      const series: PushSeries[] = [];
      for (const queued of batch) {
        if (queued.item.kind !== "push") continue;
        series.push({ labels: queued.item.labels, samples: queued.item.samples });
      }
      body = encodePushRequest(series);
      bodies.set(batch, body);
    }
    return body;
  };

  const push = (batch: readonly QueuedItem[], signal: AbortSignal): Promise<Outcome> => {
    const headers = new Headers(endpoint.headers);
    headers.set("content-type", "application/proto");
    headers.set("connect-protocol-version", "1");
    headers.set("accept-encoding", "gzip");
    headers.set("connect-timeout-ms", String(timeoutMs));
    const tenant = batch[0]?.meta[TENANT_META];
    if (tenant) headers.set("x-scope-orgid", tenant);
    return request(
      pushUrl,
      { method: "POST", headers, body: streamedIfLarge(encode(batch)) },
      signal,
      (response, body) =>
        classifyConnectResponse(
          response.status,
          response.headers.get("content-type"),
          body,
          response.headers.get("retry-after"),
          retryOn429,
        ),
    );
  };

  const ingest = (queued: QueuedItem, signal: AbortSignal): Promise<Outcome> => {
    const item = queued.item;
    if (item.kind !== "ingest") return Promise.resolve(DELIVERED);
    const params = new URLSearchParams();
    for (const [key, value] of item.query) if (key !== "name") params.append(key, value);
    params.append("name", formatIngestName(item.labels));
    params.sort(); // Go's url.Values.Encode order, as Alloy sends it.
    const headers = new Headers(endpoint.headers);
    headers.delete("content-type");
    for (const value of item.contentType) headers.append("content-type", value);
    const tenant = queued.meta[TENANT_META];
    if (tenant) headers.set("x-scope-orgid", tenant);
    return request(
      `${ingestUrl}?${params.toString()}`,
      { method: "POST", headers, body: item.body as BodyInit },
      signal,
      (response, body) =>
        classifyIngestResponse(
          response.status,
          body,
          response.headers.get("retry-after"),
          retryOn429,
        ),
    );
  };

  // `protocol: otlp` sends push items as OTLP profiles; ingest items keep their /ingest path.
  const pushVia = endpoint.protocol === "otlp"
    ? otlpPusher(
      base,
      endpoint.headers,
      client,
      timeoutMs,
      retryOn429,
      (batch) => batch[0]?.meta[TENANT_META],
      streamedIfLarge,
    )
    : push;

  return (batch, signal) => {
    const first = batch[0];
    if (!first) return Promise.resolve(DELIVERED);
    return first.item.kind === "push" ? pushVia(batch, signal) : ingest(first, signal);
  };
}
