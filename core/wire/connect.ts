/**
 * Connect protocol error handling for unary calls (docs/spec/pyroscope-wire.md §3.2–3.3): the code → HTTP status
 * table handlers use, the JSON error body, and the HTTP → code fallback a connect-go client
 * applies to non-JSON error responses. Shared by the receivers and the test sink.
 *
 * @example
 * ```ts
 * import { CONNECT_CODE_TO_HTTP, connectErrorBody } from "./connect.ts";
 * const body = connectErrorBody("invalid_argument", "unmarshal message: bad tag");
 * CONNECT_CODE_TO_HTTP.invalid_argument; // 400
 * JSON.parse(body); // { code: "invalid_argument", message: "unmarshal message: bad tag" }
 * ```
 * @module
 */

/** The Connect error codes, in their snake_case wire form. */
export type ConnectCode =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

/** Code → HTTP status, as connect-go handlers answer (`connectCodeToHTTP`). */
export const CONNECT_CODE_TO_HTTP: Readonly<Record<ConnectCode, number>> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

/** Whether `value` is a known Connect code. */
export function isConnectCode(value: unknown): value is ConnectCode {
  return typeof value === "string" && Object.hasOwn(CONNECT_CODE_TO_HTTP, value);
}

/**
 * The code a connect-go client assumes for a non-200 response without a JSON error body
 * (`httpToCode`): 400 → internal, 401 → unauthenticated, 403 → permission_denied,
 * 404 → unimplemented, 429/502/503/504 → unavailable, anything else → unknown.
 */
export function connectCodeFromHttpStatus(status: number): ConnectCode {
  switch (status) {
    case 400:
      return "internal";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "unimplemented";
    case 429:
    case 502:
    case 503:
    case 504:
      return "unavailable";
    default:
      return "unknown";
  }
}

/** The JSON body of a Connect error: `{"code","message"}` (`details` left out when empty). */
export function connectErrorBody(code: ConnectCode, message: string): string {
  return JSON.stringify({ code, message });
}

/**
 * Reads a Connect error from a response body: the JSON `code` and `message` when present,
 * otherwise the code connect-go derives from the HTTP status and the body text as message.
 */
export function parseConnectError(
  status: number,
  body: string,
): { code: ConnectCode; message: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === "object") {
      const { code, message } = parsed as { code?: unknown; message?: unknown };
      return {
        code: isConnectCode(code) ? code : connectCodeFromHttpStatus(status),
        message: typeof message === "string" ? message : "",
      };
    }
  } catch {
    // Not JSON: fall through to the status-derived code.
  }
  return { code: connectCodeFromHttpStatus(status), message: body };
}
