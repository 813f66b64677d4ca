import { assertEquals } from "../../tests/support/assert.ts";
import {
  CONNECT_CODE_TO_HTTP,
  connectCodeFromHttpStatus,
  connectErrorBody,
  parseConnectError,
} from "./connect.ts";

Deno.test("connect: code → HTTP table of docs/spec/pyroscope-wire.md §3.3", () => {
  assertEquals(CONNECT_CODE_TO_HTTP, {
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
  });
});

Deno.test("connect: the error body is JSON with the code and message", () => {
  assertEquals(JSON.parse(connectErrorBody("resource_exhausted", "queue full")), {
    code: "resource_exhausted",
    message: "queue full",
  });
});

Deno.test("connect: client fallback mapping for non-JSON errors", () => {
  const table: [number, string][] = [
    [400, "internal"],
    [401, "unauthenticated"],
    [403, "permission_denied"],
    [404, "unimplemented"],
    [429, "unavailable"],
    [502, "unavailable"],
    [503, "unavailable"],
    [504, "unavailable"],
    [500, "unknown"],
    [418, "unknown"],
  ];
  for (const [status, code] of table) assertEquals(connectCodeFromHttpStatus(status), code);
  assertEquals(parseConnectError(400, '{"code":"invalid_argument","message":"m"}'), {
    code: "invalid_argument",
    message: "m",
  });
  assertEquals(parseConnectError(400, "Bad Request"), { code: "internal", message: "Bad Request" });
  assertEquals(parseConnectError(429, '{"message":"x"}'), { code: "unavailable", message: "x" });
});
