/**
 * One request to one endpoint for a batch of queued items, built by an encoder and sent through
 * the endpoint's one transport (`transport.ts`): Connect unary `Push` for push items (several
 * series per request), the legacy `/ingest` forward for ingest items (body and query untouched
 * except `name`), or, with `protocol: otlp`, push items as OTLP profiles (`otlp_sender.ts`).
 * Answers become delivery outcomes (`core/delivery/outcome.ts`); nothing here retries.
 *
 * @module
 */

import type { QueuedItem } from "../../core/delivery/item_codec.ts";
import {
  classifyConnectResponse,
  classifyIngestResponse,
  DELIVERED,
  type Outcome,
} from "../../core/delivery/outcome.ts";
import { encodePushRequest, type PushSeries } from "../../core/wire/push_proto.ts";
import { formatIngestName } from "../../core/pyroscope_labels/mod.ts";
import { TIMEOUT_HEADER } from "../../core/ingest/deadline.ts";
import { otlpPost } from "./otlp_sender.ts";
import type { EndpointTransport, Post, PostOptions } from "./transport.ts";

/** Metadata key of the tenant on a queued item. */
export const TENANT_META = "tenant";

/** Metadata key of the caller's deadline (epoch ms) an item carries (`Item.deadline`). */
export const DEADLINE_META = "deadline";

/** The earliest deadline the items of a batch carry, if any. */
export function batchDeadline(batch: readonly QueuedItem[]): number | undefined {
  let earliest: number | undefined;
  for (const queued of batch) {
    const value = queued.meta[DEADLINE_META];
    if (value === undefined) continue;
    const deadline = Number(value);
    if (Number.isFinite(deadline) && !(deadline >= (earliest ?? Infinity))) earliest = deadline;
  }
  return earliest;
}

/** Builds one request for a batch, or the outcome when there is nothing to send. */
type Encoder = (batch: readonly QueuedItem[]) => Post | Outcome;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The Connect `Push` of a batch of push items. */
function connectPost(transport: EndpointTransport): Encoder {
  // Retries of a batch reuse its encoded body instead of building it again each attempt.
  const bodies = new WeakMap<readonly QueuedItem[], Uint8Array>();
  return (batch) => {
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
    const headers = transport.headers(batch[0]?.meta[TENANT_META]);
    headers.set("content-type", "application/proto");
    headers.set("connect-protocol-version", "1");
    headers.set("accept-encoding", "gzip");
    return {
      path: "/push.v1.PusherService/Push",
      headers,
      body,
      streamLarge: true,
      timeoutHeader: TIMEOUT_HEADER,
      classify: (answer) =>
        classifyConnectResponse(
          answer.status,
          answer.headers.get("content-type"),
          text(answer.body),
          answer.headers.get("retry-after"),
          transport.retryOn429,
        ),
    };
  };
}

/** The `/ingest` forward of one ingest item. */
function ingestPost(transport: EndpointTransport): Encoder {
  return (batch) => {
    const queued = batch[0]!;
    const item = queued.item;
    if (item.kind !== "ingest") return DELIVERED;
    const params = new URLSearchParams();
    for (const [key, value] of item.query) if (key !== "name") params.append(key, value);
    params.append("name", formatIngestName(item.labels));
    params.sort(); // Go's url.Values.Encode order, as Alloy sends it.
    const headers = transport.headers(queued.meta[TENANT_META]);
    headers.delete("content-type");
    for (const value of item.contentType) headers.append("content-type", value);
    return {
      path: `/ingest?${params.toString()}`,
      headers,
      body: item.body,
      // Not a Pyroscope convention for /ingest; a profcol hop reads it, others ignore it.
      timeoutHeader: TIMEOUT_HEADER,
      classify: (answer) =>
        classifyIngestResponse(
          answer.status,
          text(answer.body),
          answer.headers.get("retry-after"),
          transport.retryOn429,
        ),
    };
  };
}

/** Builds the `send` function of an endpoint's delivery queue. */
export function endpointSender(
  transport: EndpointTransport,
  protocol: "connect" | "otlp",
): (batch: readonly QueuedItem[], signal: AbortSignal) => Promise<Outcome> {
  // `protocol: otlp` sends push items as OTLP profiles; ingest items keep their /ingest path.
  const push = protocol === "otlp"
    ? otlpPost(transport, (batch) => batch[0]?.meta[TENANT_META])
    : connectPost(transport);
  const ingest = ingestPost(transport);
  return (batch, signal) => {
    const first = batch[0];
    if (!first) return Promise.resolve(DELIVERED);
    const request = first.item.kind === "push" ? push(batch) : ingest(batch);
    const options: PostOptions = { signal, deadline: batchDeadline(batch) };
    return "path" in request ? transport.post(request, options) : Promise.resolve(request);
  };
}
