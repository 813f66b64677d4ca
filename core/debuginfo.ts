/**
 * The kernel contract for debug-info uploads (Alloy 1.16's `pyroscope.receive_http` endpoints
 * of Pyroscope's `debuginfo.v1alpha1.DebuginfoService`): a receiver hands each call, body
 * streaming, to the first exporter its pipelines reach that forwards debug info
 * (`pyroscope.write`), through its pipeline port. Debug info is not a profile: processors do not
 * see it, and it is never queued.
 *
 * The service's three procedures (Pyroscope's HTTP/1.1 design, PR 5046):
 *
 * - `ShouldInitiateUpload`: Connect unary, `ShouldInitiateUploadRequest { FileMetadata file }` →
 *   `ShouldInitiateUploadResponse { bool should_initiate_upload; string reason }`;
 * - `Upload/{gnu_build_id}`: plain HTTP POST, the raw file as body;
 * - `UploadFinished`: Connect unary, `UploadFinishedRequest { string gnu_build_id }` → empty.
 *
 * Messages travel as received (protobuf or JSON); nothing here decodes them.
 *
 * @module
 */

/** The service path prefix, as served and as forwarded. */
export const DEBUGINFO_SERVICE_PATH = "/debuginfo.v1alpha1.DebuginfoService/";

/** One call to forward. */
export interface DebuginfoCall {
  /** `ShouldInitiateUpload`, `UploadFinished` or `Upload/<gnu build id>` (already checked). */
  readonly procedure: string;
  /** Request headers to pass on (content type, Connect headers, content encoding). */
  readonly headers: Headers;
  /** The body, streamed (already size-capped by the receiver). */
  readonly body: ReadableStream<Uint8Array> | null;
  /** The tenant of the request (`X-Scope-OrgID` when tenant pass-through is on). */
  readonly tenant: string | undefined;
  /** Aborted when the client goes away or the receiver shuts down. */
  readonly signal: AbortSignal;
}

/** An exporter that forwards debug info; the response is the upstream's, status and body. */
export interface DebuginfoForwarder {
  forwardDebuginfo(call: DebuginfoCall): Promise<Response>;
}

/** Whether `value` forwards debug info. */
export function isDebuginfoForwarder(value: unknown): value is DebuginfoForwarder {
  return typeof (value as Partial<DebuginfoForwarder> | null)?.forwardDebuginfo === "function";
}

/** A pipeline port that can name the forwarder its routes reach. */
export interface DebuginfoRoutes {
  /** The first exporter, in pipeline order, that forwards debug info; undefined if none. */
  debuginfoForwarder(): DebuginfoForwarder | undefined;
}

/** The forwarder behind a receiver's `next`, when it is a port that knows one. */
export function debuginfoForwarderOf(next: unknown): DebuginfoForwarder | undefined {
  const routes = next as Partial<DebuginfoRoutes> | null;
  return typeof routes?.debuginfoForwarder === "function" ? routes.debuginfoForwarder() : undefined;
}
