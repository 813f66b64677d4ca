/**
 * `protocol: otlp` of a `pyroscope.write` endpoint: a batch of push items becomes one OTLP
 * `ExportProfilesServiceRequest` (`otlp/otlp_pprof.ts`: one resource per series, one OTLP
 * profile per sample type, one shared dictionary) posted as `application/x-protobuf` to
 * `<url>/v1development/profiles` through the endpoint's transport (`transport.ts`). Answers
 * are classified as the OTLP/HTTP specification says:
 * 2xx delivered (a `partialSuccess` cannot be retried, so it counts as delivered), 429, 502,
 * 503 and 504 retried (`Retry-After` honoured), other statuses dropped; 400, 413 and 500 split
 * a multi-item batch so only the bad item is dropped.
 *
 * @module
 */

import type { QueuedItem } from "../../core/delivery/item_codec.ts";
import { DELIVERED, type Outcome } from "../../core/delivery/outcome.ts";
import { parseRetryAfter } from "../../core/delivery/backoff.ts";
import { httpStatusCause } from "../../core/root_cause.ts";
import { type PprofSeries, pprofToOtlp } from "../../otlp/otlp_pprof.ts";
import { encodeExportRequest, OTLP_PROFILES_PATH } from "../../otlp/otlp_profiles.ts";
import { ProtoReader } from "../../core/wire/protobuf.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";
import { decodeProfile, type Profile } from "../../pprof/profile.ts";
import type { EndpointTransport, Post } from "./transport.ts";

/** A decompressed profile larger than this is refused (a decompression bomb). */
const MAX_PROFILE_BYTES = 512 * 1024 * 1024;

/** Thrown when a queued profile is not pprof (it cannot be converted). */
class NotPprof extends Error {}

/** The OTLP request body for a batch of push items. */
export function encodeOtlpBatch(batch: readonly QueuedItem[]): Uint8Array {
  const series: PprofSeries[] = [];
  for (const queued of batch) {
    const item = queued.item;
    if (item.kind !== "push") continue;
    const profiles: Profile[] = item.samples.map((sample, i) => {
      try {
        return decodeProfile(gunzipIfNeeded(sample.rawProfile, MAX_PROFILE_BYTES));
      } catch (error) {
        throw new NotPprof(
          `profile ${i} of ${item.labels} is not pprof: ${(error as Error).message}`,
        );
      }
    });
    series.push({ labels: item.labels, profiles });
  }
  return encodeExportRequest(pprofToOtlp(series));
}

/** The `message` of a `google.rpc.Status` body (protobuf or JSON), else the text. */
function statusMessage(contentType: string, body: Uint8Array): string {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  try {
    if (type === "application/x-protobuf" || type === "application/protobuf") {
      const r = new ProtoReader(body);
      while (r.more()) {
        const tag = r.tag();
        if (tag === 0x12) return r.string();
        r.skip(tag);
      }
      return "";
    }
    if (type === "application/json") {
      const parsed = JSON.parse(new TextDecoder().decode(body));
      if (typeof parsed?.message === "string") return parsed.message;
    }
  } catch {
    // fall through to the raw text
  }
  return new TextDecoder().decode(body);
}

/** Classifies an OTLP/HTTP answer (see the module doc). */
export function classifyOtlpResponse(
  status: number,
  message: string,
  retryAfter: string | null,
  retryOn429: boolean,
): Outcome {
  if (status >= 200 && status < 300) return DELIVERED;
  const cause = httpStatusCause(status, message);
  if (status === 429) {
    return retryOn429
      ? {
        kind: "retry",
        reason: "http_429",
        message: cause,
        retryAfterMs: parseRetryAfter(retryAfter),
      }
      : { kind: "drop", reason: "http_429", message: cause, splittable: false };
  }
  if (status === 502 || status === 503 || status === 504) {
    return {
      kind: "retry",
      reason: `http_${status}`,
      message: cause,
      retryAfterMs: parseRetryAfter(retryAfter),
    };
  }
  return {
    kind: "drop",
    reason: `http_${status}`,
    message: cause,
    splittable: status === 400 || status === 413 || status === 500,
  };
}

/** Builds the OTLP request of a batch of push items (or the drop of one that is not pprof). */
export function otlpPost(
  transport: EndpointTransport,
  tenantOf: (batch: readonly QueuedItem[]) => string | undefined,
): (batch: readonly QueuedItem[]) => Post | Outcome {
  const bodies = new WeakMap<readonly QueuedItem[], Uint8Array>();
  return (batch) => {
    let body = bodies.get(batch);
    if (!body) {
      try {
        body = encodeOtlpBatch(batch);
      } catch (error) {
        if (!(error instanceof NotPprof)) throw error;
        return {
          kind: "drop",
          reason: "invalid_profile",
          message: error.message,
          splittable: batch.length > 1,
        };
      }
      bodies.set(batch, body);
    }
    const headers = transport.headers(tenantOf(batch));
    headers.set("content-type", "application/x-protobuf");
    return {
      path: OTLP_PROFILES_PATH,
      headers,
      body,
      streamLarge: true,
      classify: (answer) =>
        classifyOtlpResponse(
          answer.status,
          answer.status >= 200 && answer.status < 300
            ? ""
            : statusMessage(answer.headers.get("content-type") ?? "", answer.body),
          answer.headers.get("retry-after"),
          transport.retryOn429,
        ),
    };
  };
}
