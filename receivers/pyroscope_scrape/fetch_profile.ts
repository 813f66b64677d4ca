/**
 * One scrape request with Alloy's validation (docs/spec/pyroscope-wire.md §8.5): 2xx status, `Content-Type`
 * starting with `application/octet-stream`, HTML/JSON detection, gzip or protobuf, plus a body
 * size limit Alloy lacks (reading stops as soon as it is exceeded).
 *
 * @module
 */

import { describeBody, sniffProfile } from "../../pprof/sniff.ts";
import { redactText } from "../../core/redact.ts";
import type { HttpClient } from "../../core/http/client.ts";
import { concatBytes } from "../../core/bytes.ts";
import { httpStatusCause, rootCause } from "../../core/root_cause.ts";

function timeoutError(what: string, timeoutMs: number): ScrapeError {
  return new ScrapeError(
    `scrape of ${what} timed out after ${timeoutMs}ms`,
    "timeout",
    rootCause(undefined, { timedOut: true, timeoutMs, timeoutSetting: "scrape_timeout" }),
  );
}

/**
 * Why a scrape failed; `reason` is the metric label, `rootCause` the short cause logged and
 * shown (`core/root_cause.ts`; the message when there is nothing shorter to say).
 */
export class ScrapeError extends Error {
  override readonly name = "ScrapeError";
  readonly rootCause: string;
  constructor(
    message: string,
    readonly reason:
      | "http_status"
      | "timeout"
      | "connection"
      | "content_type"
      | "invalid_body"
      | "too_large"
      | "delta"
      | "aborted",
    rootCause?: string,
  ) {
    super(message);
    this.rootCause = rootCause ?? message;
  }
}

/** Options of one scrape. */
export interface FetchProfileOptions {
  readonly url: string;
  readonly profileType: string;
  readonly timeoutMs: number;
  readonly bodySizeLimit: number;
  readonly signal?: AbortSignal;
}

/** The body, or `undefined` as soon as it exceeds `limit` bytes (declared or read). */
export async function readLimited(
  response: Response,
  limit: number,
): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

/**
 * Fetches and validates one profile. Throws {@linkcode ScrapeError} whose message names the
 * profile type and URL.
 */
export async function fetchProfile(
  client: HttpClient,
  options: FetchProfileOptions,
): Promise<Uint8Array> {
  const what = `${options.profileType} profile from ${options.url}`;
  let response: Response;
  try {
    response = await client.fetch(options.url, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw new ScrapeError(`scrape of ${what} aborted`, "aborted");
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw timeoutError(what, options.timeoutMs);
    }
    const cause = rootCause(error);
    throw new ScrapeError(`scrape of ${what} failed: ${cause}`, "connection", cause);
  }
  let body: Uint8Array | undefined;
  try {
    if (response.status < 200 || response.status > 299) {
      const text = (await response.text().catch(() => "")).trim().slice(0, 200);
      throw new ScrapeError(
        `scrape of ${what}: server returned HTTP status (${response.status}) ${
          text || response.statusText
        }`,
        "http_status",
        httpStatusCause(response.status, text || response.statusText),
      );
    }
    body = await readLimited(response, options.bodySizeLimit);
  } catch (error) {
    if (error instanceof ScrapeError) throw error;
    if (options.signal?.aborted) throw new ScrapeError(`scrape of ${what} aborted`, "aborted");
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw timeoutError(what, options.timeoutMs);
    }
    const cause = rootCause(error);
    throw new ScrapeError(`reading ${what} failed: ${cause}`, "connection", cause);
  }
  if (body === undefined) {
    throw new ScrapeError(
      `${what} is larger than body_size_limit (${options.bodySizeLimit} bytes); raise body_size_limit`,
      "too_large",
    );
  }
  if (body.byteLength === 0) throw new ScrapeError(`empty ${what}`, "invalid_body");
  const contentType = response.headers.get("content-type");
  const expected = "where a pprof profile was expected";
  if (contentType === null || !contentType.toLowerCase().startsWith("application/octet-stream")) {
    const sent = contentType === null ? "without a Content-Type" : mediaType(contentType);
    throw new ScrapeError(
      `${what} answered ${sent} (${redactText(describeBody(body))}) ${expected}`,
      "content_type",
    );
  }
  const problem = sniffProfile(body);
  if (problem) {
    const hint = /HTML|JSON/.test(problem)
      ? ` (${redactText(describeBody(body))}) ${expected}`
      : "";
    throw new ScrapeError(`${what} ${problem}${hint}`, "invalid_body");
  }
  return body;
}

/** `text/html` of `text/html; charset=utf-8` (the media type, without parameters). */
function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase() || JSON.stringify(contentType);
}
