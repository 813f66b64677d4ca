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
import { checkSeriesCount } from "../../core/ingest/refusal.ts";
import { decodePushJson } from "../../core/wire/push_json.ts";
import {
  type DecodedPushSeries,
  decodePushRequest,
  TooManySeriesError,
} from "../../core/wire/push_proto.ts";
import { nextTurn } from "../../pprof/gzip.ts";
import type { ProfileCheck } from "./ingest.ts";

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
 * `unmarshal message: …` when it does not decode, and 413 `too_many_series` as soon as it is
 * seen to carry more than `maxSeries` series (0 = no limit), before anything is reserved.
 */
export function decodePushBody(
  codec: "proto" | "json",
  body: Uint8Array,
  maxSeries = 0,
): DecodedPushSeries[] {
  const limit = maxSeries > 0 ? maxSeries : Infinity;
  try {
    return codec === "proto" ? decodePushRequest(body, limit) : decodePushJson(body, limit);
  } catch (error) {
    if (error instanceof TooManySeriesError) checkSeriesCount(limit + 1, limit);
    throw new HttpError(400, (error as Error).message, "bad_message");
  }
}

/** Profile bytes checked between two turns of the event loop (see `pushItems`). */
const CHECK_BYTES_PER_TURN = 1 << 20;

/**
 * One push item per series that has samples, with `extra` applied to the labels (tenant).
 * Every raw profile must plausibly be pprof; the first that is not fails the whole request,
 * so nothing of a bad request is accepted. Checking yields to the event loop after each
 * megabyte of profile bytes, so a request full of large (or bomb) profiles does not hold the
 * loop while others wait.
 */
export async function pushItems(
  series: readonly DecodedPushSeries[],
  extra: (labels: LabelSet) => LabelSet,
  check: ProfileCheck,
): Promise<PushItem[]> {
  const items: PushItem[] = [];
  let checkedSinceTurn = 0;
  for (let i = 0; i < series.length; i++) {
    const one = series[i]!;
    for (let j = 0; j < one.samples.length; j++) {
      const bytes = one.samples[j]!.rawProfile;
      if (checkedSinceTurn > CHECK_BYTES_PER_TURN) {
        await nextTurn();
        checkedSinceTurn = 0;
      }
      checkedSinceTurn += bytes.byteLength;
      const problem = await check(bytes);
      if (problem) {
        throw new HttpError(
          400,
          `series[${i}].samples[${j}].raw_profile is not a pprof profile: ${problem}`,
          "invalid_profile",
        );
      }
    }
    if (one.samples.length === 0) continue;
    items.push({ kind: "push", labels: extra(one.labels), samples: one.samples });
  }
  return items;
}
