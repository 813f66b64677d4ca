/**
 * One scrape request with Alloy's validation (spec §8.5): 2xx status, `Content-Type`
 * starting with `application/octet-stream`, HTML/JSON detection, gzip or protobuf, plus a body
 * size limit Alloy lacks (reading stops as soon as it is exceeded).
 *
 * @module
 */

import { sniffProfile } from "../../pprof/sniff.ts";
import type { HttpClient } from "../../core/http/client.ts";
import { concatBytes } from "../../core/bytes.ts";

/** Why a scrape failed; `reason` is the metric label. */
export class ScrapeError extends Error {
  override readonly name = "ScrapeError";
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
  ) {
    super(message);
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

async function readLimited(response: Response, limit: number): Promise<Uint8Array | undefined> {
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

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
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
      throw new ScrapeError(`scrape of ${what} timed out after ${options.timeoutMs}ms`, "timeout");
    }
    throw new ScrapeError(`scrape of ${what} failed: ${describe(error)}`, "connection");
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
      );
    }
    body = await readLimited(response, options.bodySizeLimit);
  } catch (error) {
    if (error instanceof ScrapeError) throw error;
    if (options.signal?.aborted) throw new ScrapeError(`scrape of ${what} aborted`, "aborted");
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new ScrapeError(`scrape of ${what} timed out after ${options.timeoutMs}ms`, "timeout");
    }
    throw new ScrapeError(`reading ${what} failed: ${describe(error)}`, "connection");
  }
  if (body === undefined) {
    throw new ScrapeError(
      `${what} is larger than body_size_limit (${options.bodySizeLimit} bytes); raise body_size_limit`,
      "too_large",
    );
  }
  if (body.byteLength === 0) throw new ScrapeError(`empty ${what}`, "invalid_body");
  const contentType = response.headers.get("content-type");
  if (contentType === null) {
    throw new ScrapeError(
      `${what} has no Content-Type (expected application/octet-stream)`,
      "content_type",
    );
  }
  if (!contentType.toLowerCase().startsWith("application/octet-stream")) {
    throw new ScrapeError(
      `${what} has Content-Type ${JSON.stringify(contentType)}, expected application/octet-stream`,
      "content_type",
    );
  }
  const problem = sniffProfile(body);
  if (problem) throw new ScrapeError(`${what} ${problem}`, "invalid_body");
  return body;
}
