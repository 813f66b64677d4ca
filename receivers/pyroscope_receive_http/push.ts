/**
 * `POST /push.v1.PusherService/Push` (Connect unary): content negotiation, request gzip,
 * decoding (binary zero-copy or protojson) and per-series validation into push items.
 *
 * `service_name` is not derived on this path (Alloy's `app_name=<profile type>` quirk is
 * fixed): `__name__` is the profile type here, never an application name. A series without
 * `service_name` is forwarded as is; Pyroscope falls back to `unknown_service`.
 *
 * @module
 */

import type { PushItem } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import { HttpError } from "../../core/http/server.ts";
import { decodePushJson } from "../../core/wire/push_json.ts";
import { type DecodedPushSeries, decodePushRequest } from "../../core/wire/push_proto.ts";
import { gunzip, GzipCorruptError, GzipTooLargeError } from "../../pprof/gzip.ts";
import { sniffProfile } from "../../pprof/sniff.ts";

/** The path of the one procedure served. */
export const PUSH_PATH = "/push.v1.PusherService/Push";

/** The service prefix; other procedures under it get a Connect 404. */
export const PUSH_SERVICE_PREFIX = "/push.v1.PusherService/";

/** What `Accept-Post` lists on a 415. */
export const ACCEPT_POST =
  "application/proto, application/json, application/grpc-web+proto, application/grpc-web+json";

/** The codec of a request, from its Content-Type; `undefined` when unsupported. */
export function pushCodec(contentType: string | null): "proto" | "json" | undefined {
  if (contentType === null) return undefined;
  const [type = "", ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type === "application/proto") return "proto";
  if (type === "application/json") {
    // connect-go accepts no charset other than utf-8 for JSON.
    const charset = params.find((p) => p.startsWith("charset="));
    if (charset === undefined || charset === "charset=utf-8") return "json";
  }
  return undefined;
}

/**
 * Decodes a (decompressed) body. Throws {@linkcode HttpError} 400 `invalid_argument` with
 * `unmarshal message: …` when it does not decode.
 */
export function decodePushBody(codec: "proto" | "json", body: Uint8Array): DecodedPushSeries[] {
  try {
    return codec === "proto" ? decodePushRequest(body) : decodePushJson(body);
  } catch (error) {
    throw new HttpError(400, (error as Error).message, "bad_message");
  }
}

/**
 * One push item per series that has samples, with `extra` applied to the labels (tenant).
 * Every raw profile must plausibly be pprof; the first that is not fails the whole request,
 * so nothing of a bad request is accepted.
 */
export function pushItems(
  series: readonly DecodedPushSeries[],
  extra: (labels: LabelSet) => LabelSet,
  check: (bytes: Uint8Array) => string | undefined = sniffProfile,
): PushItem[] {
  const items: PushItem[] = [];
  series.forEach((one, i) => {
    one.samples.forEach((sample, j) => {
      const problem = check(sample.rawProfile);
      if (problem) {
        throw new HttpError(
          400,
          `series[${i}].samples[${j}].raw_profile is not a pprof profile: ${problem}`,
          "invalid_profile",
        );
      }
    });
    if (one.samples.length === 0) return;
    items.push({ kind: "push", labels: extra(one.labels), samples: one.samples });
  });
  return items;
}

/**
 * Decompresses a gzip request body, refusing output larger than `maxBytes` (413; 0 means no
 * limit) and corrupt data (400).
 */
export function gunzipLimited(body: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return Promise.resolve(gunzip(body, { maxBytes: maxBytes > 0 ? maxBytes : Infinity }));
  } catch (error) {
    if (error instanceof GzipTooLargeError) {
      return Promise.reject(
        new HttpError(
          413,
          `decompressed request body is larger than the limit of ${maxBytes} bytes`,
          "body_too_large",
        ),
      );
    }
    const cause = error instanceof GzipCorruptError ? error.cause : error;
    return Promise.reject(
      new HttpError(400, `gzip request body: ${(cause as Error).message}`, "bad_encoding"),
    );
  }
}
