/**
 * gRPC-Web on the Push route (`application/grpc-web`, `application/grpc-web+proto`,
 * `application/grpc-web+json`): the request is one length-prefixed message (flag byte, 4-byte
 * big-endian length; flag bit 0 = compressed with `grpc-encoding`), and the answer carries its
 * status in the body, as a final frame with flag 0x80 holding `grpc-status`/`grpc-message`,
 * so no HTTP trailers are needed. Plain gRPC (`application/grpc…`) needs HTTP trailers, which
 * `Deno.serve` cannot send; it is refused with 415 and a message naming what to use instead.
 *
 * @module
 */

import { HttpError } from "../../core/http/server.ts";
import type { ConnectCode } from "../../core/wire/connect.ts";
import { gunzipBody } from "../../core/ingest/gunzip_body.ts";

/** The codec of a gRPC-Web request, from its Content-Type; `undefined` when not gRPC-Web. */
export function grpcWebCodec(contentType: string | null): "proto" | "json" | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/grpc-web" || type === "application/grpc-web+proto") return "proto";
  if (type === "application/grpc-web+json") return "json";
  return undefined;
}

/** Whether the Content-Type is plain gRPC (`application/grpc`, `application/grpc+…`). */
export function isPlainGrpc(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/grpc" || type.startsWith("application/grpc+");
}

/** Why plain gRPC is refused, and what to use instead. */
export const PLAIN_GRPC_MESSAGE = "plain gRPC (application/grpc) is not supported: it needs " +
  "HTTP trailers, which this server (Deno.serve) cannot send; use the Connect protocol " +
  "(application/proto or application/json) or gRPC-Web (application/grpc-web+proto), " +
  "e.g. connect-go's default or connect.WithGRPCWeb()";

/** gRPC status numbers of Connect codes. */
const GRPC_STATUS: Record<ConnectCode, number> = {
  canceled: 1,
  unknown: 2,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  unauthenticated: 16,
};

/**
 * The message of a gRPC-Web request body: exactly one data frame. A compressed frame needs
 * `grpc-encoding: gzip`; decompression is capped at `maxBytes` (413).
 */
export async function unframeGrpcWeb(
  body: Uint8Array,
  grpcEncoding: string | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (body.byteLength < 5) {
    throw new HttpError(
      400,
      `gRPC-Web body of ${body.byteLength} bytes is shorter than a 5-byte frame header`,
      "bad_message",
    );
  }
  const flags = body[0]!;
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (flags & 0x80) {
    throw new HttpError(400, "gRPC-Web request starts with a trailers frame", "bad_message");
  }
  if (5 + length !== body.byteLength) {
    throw new HttpError(
      400,
      `gRPC-Web unary request must be one frame: header says ${length} bytes, body has ` +
        `${body.byteLength - 5} after it`,
      "bad_message",
    );
  }
  const message = body.subarray(5);
  if (!(flags & 0x01)) return message;
  const encoding = (grpcEncoding ?? "identity").trim().toLowerCase();
  if (encoding !== "gzip") {
    throw new HttpError(
      encoding === "identity" ? 400 : 501,
      `compressed gRPC-Web message with grpc-encoding ${JSON.stringify(encoding)}; ` +
        "supported is gzip",
      encoding === "identity" ? "bad_message" : "unsupported_encoding",
    );
  }
  return await gunzipBody(message, maxBytes);
}

function frame(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, 5);
  return out;
}

/** Percent-encodes a grpc-message (gRPC spec: outside 0x20–0x7E, and `%`). */
export function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(message)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Turns the Push route's Connect answer into gRPC-Web: HTTP 200, the (empty) `PushResponse`
 * message when it succeeded, and a trailers frame with `grpc-status` and `grpc-message` (the
 * Connect error's code and message). `Retry-After` and `WWW-Authenticate` are kept.
 */
export async function toGrpcWeb(response: Response, contentType: string): Promise<Response> {
  const headers = new Headers({ "content-type": contentType });
  for (const name of ["retry-after", "www-authenticate", "allow"]) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  let status = 0;
  let message = "";
  if (response.status !== 200) {
    let code: ConnectCode = "unknown";
    message = `HTTP ${response.status}`;
    try {
      const error = await response.json() as { code?: ConnectCode; message?: string };
      if (error.code && error.code in GRPC_STATUS) code = error.code;
      if (error.message) message = error.message;
    } catch {
      // Not a Connect error body.
    }
    status = GRPC_STATUS[code];
  } else {
    await response.body?.cancel();
  }
  const trailer = new TextEncoder().encode(
    `grpc-status: ${status}\r\ngrpc-message: ${encodeGrpcMessage(message)}\r\n`,
  );
  // PushResponse is empty: its JSON form is `{}`, its binary form zero bytes.
  const json = contentType.toLowerCase().includes("+json");
  const reply = status === 0
    ? frame(0x00, json ? new TextEncoder().encode("{}") : new Uint8Array())
    : new Uint8Array();
  const trailers = frame(0x80, trailer);
  const body = new Uint8Array(reply.byteLength + trailers.byteLength);
  body.set(reply);
  body.set(trailers, reply.byteLength);
  return new Response(body, { status: 200, headers });
}
