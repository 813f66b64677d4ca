/**
 * The debug-info endpoints of `pyroscope.receive_http` (Alloy 1.16): Pyroscope's
 * `debuginfo.v1alpha1.DebuginfoService` — `ShouldInitiateUpload` and `UploadFinished` (Connect
 * unary, protobuf or JSON) and `Upload/{gnu_build_id}` (plain HTTP POST of the raw file) — proxied
 * to the first `pyroscope.write` the receiver's pipelines reach (the kernel contract of
 * `core/debuginfo.ts`). The same inbound auth and tenant pass-through as for profiles apply; the
 * body streams through, capped at `max_request_body_size` for the unary calls and at
 * `debuginfo_max_upload_size` for uploads (413 past it, the upstream request aborted).
 *
 * @module
 */

import { TooLargeError } from "../../core/admission.ts";
import {
  DEBUGINFO_SERVICE_PATH,
  type DebuginfoForwarder,
  debuginfoForwarderOf,
} from "../../core/debuginfo.ts";
import { HttpError } from "../../core/http/server.ts";
import { tenantLabeler } from "../../core/http/tenant.ts";
import { LabelSet } from "../../core/labels.ts";
import { type ConnectCode, connectErrorBody } from "../../core/wire/connect.ts";
import type { Authenticator } from "./auth.ts";
import type { ReceiveHttpConfig } from "./config.ts";

/** Procedures served (besides `Upload/<id>`). */
const UNARY = new Set(["ShouldInitiateUpload", "UploadFinished"]);

/** A GNU build ID (hex) or another file identifier: path-safe, bounded. */
const BUILD_ID = /^[0-9A-Za-z_-]{1,256}$/;

/** Request headers passed on (the rest — auth, hop-by-hop, tenant — is the writer's). */
const PASSED_HEADERS = [
  "content-type",
  "content-encoding",
  "connect-protocol-version",
  "connect-timeout-ms",
];

/** Whether `path` belongs to the debug-info service (the hook in `receive_http.ts`). */
export function isDebuginfoPath(path: string): boolean {
  return path.startsWith(DEBUGINFO_SERVICE_PATH);
}

function connectCode(status: number): ConnectCode {
  switch (status) {
    case 401:
      return "unauthenticated";
    case 404:
      return "unimplemented";
    case 405:
    case 400:
      return "invalid_argument";
    case 413:
      return "resource_exhausted";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

function refusal(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(connectErrorBody(connectCode(status), message), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A pass-through stream that fails once more than `maxBytes` went through. */
function capped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  onExceeded: () => void,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          onExceeded();
          controller.error(new TooLargeError(`debuginfo body exceeds ${maxBytes} bytes`));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

/** Dependencies of {@linkcode handleDebuginfo}, from the receiver. */
export interface DebuginfoContext {
  readonly config: ReceiveHttpConfig;
  readonly auth: Authenticator;
  /** The receiver's `next`; its port names the forwarder. */
  readonly next: unknown;
  readonly signal: AbortSignal;
}

/** Answers one request under {@linkcode DEBUGINFO_SERVICE_PATH}. */
export async function handleDebuginfo(request: Request, ctx: DebuginfoContext): Promise<Response> {
  const procedure = new URL(request.url).pathname.slice(DEBUGINFO_SERVICE_PATH.length);
  const upload = procedure.startsWith("Upload/");
  if (!UNARY.has(procedure) && !(upload && BUILD_ID.test(procedure.slice("Upload/".length)))) {
    return refusal(
      404,
      `no procedure ${JSON.stringify(procedure)}; served: ShouldInitiateUpload, ` +
        "Upload/{gnu_build_id}, UploadFinished",
    );
  }
  if (request.method !== "POST") {
    return refusal(405, `method ${request.method} not allowed; use POST`, { allow: "POST" });
  }
  const denied = ctx.auth.check(request.headers.get("authorization"));
  if (denied !== undefined) {
    return refusal(401, denied, { "www-authenticate": ctx.auth.challenge });
  }
  let tenant: string | undefined;
  try {
    const tenantConfig = ctx.config.tenant;
    tenant = tenantLabeler(tenantConfig, request)(LabelSet.from({})).get(tenantConfig.label);
  } catch (error) {
    if (error instanceof HttpError) return refusal(error.status, error.message);
    throw error;
  }
  const forwarder: DebuginfoForwarder | undefined = debuginfoForwarderOf(ctx.next);
  if (!forwarder) {
    return refusal(503, "no pyroscope.write in this receiver's pipelines to send debug info to");
  }
  const maxBytes = upload ? ctx.config.debuginfo_max_upload_size : ctx.config.max_request_body_size;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    return refusal(413, `debuginfo body of ${declared} bytes exceeds ${maxBytes} bytes`);
  }
  let exceeded = false;
  const headers = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const abort = new AbortController();
  const body = request.body
    ? capped(request.body, maxBytes, () => {
      exceeded = true;
      abort.abort();
    })
    : null;
  let response: Response;
  try {
    response = await forwarder.forwardDebuginfo({
      procedure,
      headers,
      body,
      tenant,
      signal: AbortSignal.any([ctx.signal, request.signal, abort.signal]),
    });
  } catch (error) {
    if (!exceeded) throw error;
    response = new Response(null, { status: 499 });
  }
  if (exceeded) {
    await response.body?.cancel();
    return refusal(413, `debuginfo body exceeds ${maxBytes} bytes`);
  }
  return response;
}
