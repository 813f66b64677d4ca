/**
 * The one capped gunzip of request bodies for the receivers: decompressed output over the
 * limit is 413 `body_too_large`, corrupt data 400 `bad_encoding`; large inputs are inflated in
 * their own turn of the event loop (`gunzipInTurn`).
 *
 * @module
 */

import { HttpError } from "../http/server.ts";
import { gunzipInTurn, GzipCorruptError, GzipTooLargeError } from "../../pprof/gzip.ts";

/** Decompresses a gzip request body, refusing output over `maxBytes` (0 = no limit). */
export async function gunzipBody(body: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await gunzipInTurn(body, { maxBytes: maxBytes > 0 ? maxBytes : Infinity });
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
