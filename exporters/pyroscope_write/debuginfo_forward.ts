/**
 * Forwarding of debug-info calls (`core/debuginfo.ts`) to one endpoint of `pyroscope.write`:
 * the same URL base, client (TLS, proxy, `basic_auth`/`bearer_token`/`oauth2`, `http_headers`),
 * endpoint `headers` and tenant header as profiles get. The body streams through; the upstream's
 * answer (status, content type, body) goes back to the client as is. Debug info is stateful at
 * the server (`ShouldInitiateUpload` reserves the upload), so calls go to one endpoint, never
 * fanned out, and are never retried.
 *
 * @module
 */

import {
  DEBUGINFO_SERVICE_PATH,
  type DebuginfoCall,
  type DebuginfoForwarder,
} from "../../core/debuginfo.ts";
import type { HttpClient } from "../../core/http/client.ts";
import { rootCause } from "../../core/root_cause.ts";
import type { Logger } from "../../core/telemetry/logger.ts";
import type { EndpointConfig } from "./config.ts";

/** Response headers passed back to the client. */
const ANSWER_HEADERS = ["content-type", "content-encoding", "retry-after", "grpc-status"];

/** The forwarder of one endpoint. */
export function debuginfoForwarder(
  endpoint: EndpointConfig,
  client: HttpClient,
  logger: Logger,
): DebuginfoForwarder {
  const base = endpoint.url.replace(/\/+$/, "");
  let failing = false;
  return {
    async forwardDebuginfo(call: DebuginfoCall): Promise<Response> {
      const headers = new Headers(endpoint.headers);
      for (const [name, value] of call.headers) headers.set(name, value);
      if (call.tenant) headers.set("x-scope-orgid", call.tenant);
      const upload = call.procedure.startsWith("Upload/");
      let response: Response;
      try {
        response = await client.fetch(`${base}${DEBUGINFO_SERVICE_PATH}${call.procedure}`, {
          method: "POST",
          headers,
          body: call.body,
          // A streamed request body (the upload) needs half-duplex.
          ...(call.body ? { duplex: "half" } : {}),
          signal: call.signal,
          // Unary calls get the endpoint's timeout; an upload lasts as long as its body.
          ...(upload ? {} : { timeoutMs: endpoint.remote_timeout }),
        } as RequestInit);
      } catch (error) {
        if (call.signal.aborted) throw error;
        const cause = rootCause(error);
        if (!failing) logger.warn("debuginfo forwarding failed", { error: cause });
        failing = true;
        return new Response(
          JSON.stringify({ code: "unavailable", message: `debuginfo upstream failed: ${cause}` }),
          { status: 503, headers: { "content-type": "application/json" } },
        );
      }
      if (failing) logger.info("debuginfo forwarding works again");
      failing = false;
      const answer = new Headers();
      for (const name of ANSWER_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) answer.set(name, value);
      }
      return new Response(response.body, { status: response.status, headers: answer });
    },
  };
}
