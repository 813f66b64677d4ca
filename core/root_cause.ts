/**
 * One short, human sentence for why a request failed, shared by every log line, `last_error`
 * and status field that reports a network failure (exporter endpoints, scrape targets): walks
 * `error.cause` down to the innermost error and strips the transport's wrapping, so the user
 * reads "dns error: failed to lookup address information: …", "connection refused", "TLS
 * verification failed: invalid peer certificate: UnknownIssuer", "timeout after 10s
 * (remote_timeout)" or "HTTP 503: <first 200 bytes of the body>" instead of `fetch failed`.
 *
 * @example
 * ```ts
 * import { httpStatusCause, rootCause } from "./root_cause.ts";
 * const inner = new Error(
 *   "error sending request for url (http://x/): client error (Connect): tcp connect error: Connection refused (os error 111)",
 * );
 * rootCause(new TypeError("fetch failed", { cause: inner })); // "connection refused"
 * httpStatusCause(503, "  overloaded\n"); // "HTTP 503: overloaded"
 * ```
 * @module
 */

import { formatDuration } from "./duration.ts";

/** Bytes of a response body quoted in a root cause. */
export const BODY_EXCERPT = 200;

/** Options of {@linkcode rootCause}. */
export interface RootCauseOptions {
  /** The attempt's own deadline passed (rather than a caller's abort). */
  readonly timedOut?: boolean;
  /** The deadline, for the "timeout after …" text. */
  readonly timeoutMs?: number;
  /** The setting that sets the deadline, e.g. `remote_timeout`. */
  readonly timeoutSetting?: string;
}

/** Messages of `error` and its causes, outermost first (at most 8 deep, cycles cut). */
export function errorChain(error: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null;) {
    if (seen.has(current) || out.length >= 8) break;
    seen.add(current);
    if (current instanceof Error) {
      out.push(current.message);
      current = (current as { cause?: unknown }).cause;
    } else {
      out.push(String(current));
      break;
    }
  }
  return out;
}

function isTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current.name === "TimeoutError") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Strips Deno/hyper's "error sending request for url (…): client error (Connect): " prefix. */
function unwrap(message: string): string {
  const client = message.match(/client error \([^)]*\): ([\s\S]*)$/);
  if (client) return client[1]!;
  const sending = message.match(/^error sending request [\s\S]*?\): ([\s\S]*)$/);
  return sending ? sending[1]! : message;
}

/**
 * The root cause of a failed request: the innermost error of the cause chain, unwrapped and
 * named (DNS, connection refused/reset, TLS verification, timeout).
 */
export function rootCause(error: unknown, options: RootCauseOptions = {}): string {
  if (options.timedOut || isTimeout(error)) {
    const after = options.timeoutMs === undefined
      ? ""
      : ` after ${formatDuration(options.timeoutMs)}`;
    const setting = options.timeoutSetting ? ` (${options.timeoutSetting})` : "";
    return `timeout${after}${setting}`;
  }
  const chain = errorChain(error).map((m) => m.trim()).filter((m) => m !== "");
  // The innermost message that says more than "fetch failed".
  const inner = [...chain].reverse().find((m) => !/^fetch failed$/i.test(m)) ?? chain[0] ??
    "unknown error";
  const text = unwrap(inner).replace(/\s+/g, " ").trim();
  if (/dns error|failed to lookup address|name or service not known|no such host/i.test(text)) {
    return text.startsWith("dns error") ? text : `dns error: ${text}`;
  }
  if (/connection refused/i.test(text)) return "connection refused";
  if (/connection reset/i.test(text)) return "connection reset by peer";
  if (/connection closed before message completed/i.test(text)) {
    return "connection closed before the response";
  }
  if (/certificate|tls|handshake/i.test(text)) {
    return /^TLS verification failed/.test(text) ? text : `TLS verification failed: ${text}`;
  }
  return text;
}

/** The root cause of an HTTP error answer: the status and the first 200 bytes of the body. */
export function httpStatusCause(status: number, body: string, detail?: string): string {
  const excerpt = excerptOf(body);
  const head = detail ? `HTTP ${status} ${detail}` : `HTTP ${status}`;
  return excerpt === "" ? head : `${head}: ${excerpt}`;
}

/** `text` on one line, cut to {@linkcode BODY_EXCERPT} bytes (UTF-8, never mid-character). */
export function excerptOf(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const bytes = new TextEncoder().encode(oneLine);
  if (bytes.byteLength <= BODY_EXCERPT) return oneLine;
  let cut = BODY_EXCERPT;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return `${new TextDecoder().decode(bytes.subarray(0, cut))}…`;
}
