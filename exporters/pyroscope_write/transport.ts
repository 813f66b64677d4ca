/**
 * The one HTTP transport of a `pyroscope.write` endpoint: it posts a request built by an
 * encoder (Connect `Push`, `/ingest` forward, OTLP), bounds it by `remote_timeout` (and by the
 * caller's deadline, when one is passed), reads at most {@linkcode MAX_ERROR_BODY} bytes of an
 * error answer, and hands the answer to the encoder's classifier. Transport failures (refused
 * connection, DNS, timeout) become retry outcomes here; nothing here retries.
 *
 * @module
 */

import { bodyPrefix } from "../../core/http/body_prefix.ts";
import type { HttpClient } from "../../core/http/client.ts";
import { classifyTransportError, type Outcome } from "../../core/delivery/outcome.ts";
import { formatTimeoutMs } from "../../core/ingest/deadline.ts";
import type { EndpointConfig } from "./config.ts";

/** Error bodies are read up to this many bytes (Alloy keeps 2048 of them). */
export const MAX_ERROR_BODY = 4096;

/**
 * Bodies from this size on are handed to `fetch` as a one-chunk stream: Deno copies a
 * `Uint8Array` body whole before sending (1.0–1.4 ms of CPU per 500 KB batch here, against
 * 0.45–0.47 ms streamed), and batches are this large under load. The stream is sent chunked
 * (no Content-Length), which Pyroscope and every HTTP/1.1 proxy accept.
 */
const STREAM_BODY_BYTES = 256 * 1024;

/** An endpoint's answer as classifiers see it; `body` is empty for a 2xx (it is drained). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The first {@linkcode MAX_ERROR_BODY} bytes of an error answer. */
  readonly body: Uint8Array;
}

/** One request, as an encoder builds it. */
export interface Post {
  /** Path and query after the endpoint's base URL, e.g. `/ingest?name=…`. */
  readonly path: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** Send a large body as a one-chunk stream (batches); an `/ingest` body goes as it came. */
  readonly streamLarge?: boolean;
  /** A header that tells the server the time it has, in ms (Connect's `connect-timeout-ms`). */
  readonly timeoutHeader?: string;
  classify(answer: Answer): Outcome;
}

/** Per-request bounds beyond `remote_timeout`. */
export interface PostOptions {
  /** Aborts the request (shutdown past its deadline). */
  readonly signal?: AbortSignal;
  /** The request must be over by then (epoch ms), if sooner than `remote_timeout` allows. */
  readonly deadline?: number;
}

/** See the module doc. */
export class EndpointTransport {
  /** The endpoint URL without a trailing slash. */
  readonly base: string;
  readonly #endpoint: EndpointConfig;
  readonly #client: HttpClient;

  constructor(endpoint: EndpointConfig, client: HttpClient) {
    this.base = endpoint.url.replace(/\/+$/, "");
    this.#endpoint = endpoint;
    this.#client = client;
  }

  /** Whether a 429 is retried (`retry_on_http_429`); classifiers need it. */
  get retryOn429(): boolean {
    return this.#endpoint.retry_on_http_429;
  }

  /** The endpoint's configured headers, with the tenant (`X-Scope-OrgID`) when there is one. */
  headers(tenant: string | undefined): Headers {
    const headers = new Headers(this.#endpoint.headers);
    if (tenant) headers.set("x-scope-orgid", tenant);
    return headers;
  }

  /** Sends `post` and classifies what happened (see the module doc). Never throws. */
  async post(post: Post, options: PostOptions = {}): Promise<Outcome> {
    let timeoutMs = this.#endpoint.remote_timeout;
    if (options.deadline !== undefined) {
      timeoutMs = Math.max(0, Math.min(timeoutMs, options.deadline - Date.now()));
    }
    if (post.timeoutHeader) {
      // What is left, never more; a value Connect cannot carry is left out.
      const header = formatTimeoutMs(timeoutMs);
      if (header === undefined) post.headers.delete(post.timeoutHeader);
      else post.headers.set(post.timeoutHeader, header);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.#client.fetch(`${this.base}${post.path}`, {
        method: "POST",
        headers: post.headers,
        body: post.streamLarge ? streamedIfLarge(post.body) : post.body as BodyInit,
        signal,
      });
    } catch (error) {
      return classifyTransportError(error, timeout.aborted, timeoutMs);
    }
    try {
      const ok = response.status >= 200 && response.status < 300;
      // A 2xx body (an empty PushResponse, possibly gzipped, or an ingest answer) is drained.
      if (ok) await response.body?.cancel();
      const body = ok ? new Uint8Array(0) : await bodyPrefix(response, MAX_ERROR_BODY);
      return post.classify({ status: response.status, headers: response.headers, body });
    } catch (error) {
      return classifyTransportError(error, timeout.aborted, timeoutMs);
    }
  }
}

function streamedIfLarge(body: Uint8Array): BodyInit {
  if (body.byteLength < STREAM_BODY_BYTES) return body as BodyInit;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });
}
