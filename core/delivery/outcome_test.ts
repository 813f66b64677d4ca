import { assertEquals } from "../../tests/support/assert.ts";
import {
  classifyConnectResponse,
  classifyIngestResponse,
  classifyTransportError,
  type Outcome,
} from "./outcome.ts";

const json = "application/json";
const brief = (o: Outcome) =>
  o.kind === "ok" ? "ok" : o.kind === "retry" ? `retry:${o.reason}` : `drop:${o.reason}`;

Deno.test("connect: the docs/spec/pyroscope-wire.md §4.4 table, with the quirks fixed", () => {
  const cases: [number, string | null, string, boolean, string][] = [
    [200, "application/proto", "", true, "ok"],
    [200, "application/proto; charset=x", "", true, "ok"],
    [200, "text/html", "<html>", true, "retry:bad_content_type"],
    [400, json, '{"code":"invalid_argument","message":"bad"}', true, "drop:http_400"],
    // QUIRK fixed: a non-JSON 400 (from a proxy) is not retried.
    [400, "text/plain", "bad request", true, "drop:http_400"],
    [401, json, '{"code":"unauthenticated"}', true, "drop:http_401"],
    [403, "text/plain", "no", true, "drop:http_403"],
    [404, "text/plain", "", true, "drop:http_404"],
    [408, "text/plain", "", true, "retry:http_408"],
    [429, json, '{"code":"resource_exhausted"}', true, "retry:http_429"],
    [429, json, '{"code":"resource_exhausted"}', false, "drop:http_429"],
    // QUIRK fixed: a non-JSON 429 obeys retry_on_http_429 too.
    [429, "text/plain", "slow down", false, "drop:http_429"],
    [500, json, '{"code":"unknown","message":"x"}', true, "retry:http_500"],
    [500, json, '{"code":"internal"}', true, "retry:http_500"],
    [500, "text/plain", "oops", true, "retry:http_500"],
    [501, json, '{"code":"unimplemented"}', true, "drop:http_501"],
    [502, "text/html", "", true, "retry:http_502"],
    [503, json, '{"code":"unavailable"}', true, "retry:http_503"],
    [504, "text/plain", "", true, "retry:http_504"],
    [409, json, '{"code":"aborted"}', true, "retry:http_409"],
    [409, json, '{"code":"already_exists"}', true, "drop:http_409"],
    [499, json, '{"code":"canceled"}', true, "drop:http_499"],
    [302, "text/html", "", true, "drop:http_302"],
  ];
  for (const [status, type, body, on429, expected] of cases) {
    assertEquals(
      brief(classifyConnectResponse(status, type, body, null, on429)),
      expected,
      `${status} ${type} ${body} retry429=${on429}`,
    );
  }
});

Deno.test("connect: Retry-After is carried on 429 and 503", () => {
  const r429 = classifyConnectResponse(429, json, "{}", "2", true);
  assertEquals(r429.kind === "retry" ? r429.retryAfterMs : -1, 2000);
  const r503 = classifyConnectResponse(503, "text/plain", "", "3", true);
  assertEquals(r503.kind === "retry" ? r503.retryAfterMs : -1, 3000);
});

Deno.test("connect: a 400 or a 500 of a batch may come from one item", () => {
  const d400 = classifyConnectResponse(400, json, '{"code":"invalid_argument"}', null, true);
  assertEquals(d400.kind === "drop" && d400.splittable, true);
  const d401 = classifyConnectResponse(401, json, '{"code":"unauthenticated"}', null, true);
  assertEquals(d401.kind === "drop" && d401.splittable, false);
});

Deno.test("ingest: any 2xx is success, 4xx dropped, 408/429/5xx retried", () => {
  const cases: [number, boolean, string][] = [
    [200, true, "ok"],
    [202, true, "ok"],
    [204, true, "ok"],
    [400, true, "drop:http_400"],
    [401, true, "drop:http_401"],
    [413, true, "drop:http_413"],
    [422, true, "drop:http_422"],
    [408, true, "retry:http_408"],
    [429, true, "retry:http_429"],
    [429, false, "drop:http_429"],
    [500, true, "retry:http_500"],
    [501, true, "drop:http_501"],
    [503, true, "retry:http_503"],
    [301, true, "drop:http_301"],
  ];
  for (const [status, on429, expected] of cases) {
    assertEquals(brief(classifyIngestResponse(status, "", null, on429)), expected, `${status}`);
  }
});

Deno.test("transport errors are retried, timeouts named", () => {
  assertEquals(
    classifyTransportError(new TypeError("connection refused"), false).reason,
    "connect_error",
  );
  assertEquals(
    classifyTransportError(new DOMException("x", "TimeoutError"), true).reason,
    "timeout",
  );
});
