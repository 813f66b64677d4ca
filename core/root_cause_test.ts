import { assertEquals } from "../tests/support/assert.ts";
import { errorChain, excerptOf, httpStatusCause, rootCause } from "./root_cause.ts";

const wrapped = (inner: string) =>
  new TypeError("fetch failed", {
    cause: new Error(
      `error sending request for url (http://h:4040/x): client error (Connect): ${inner}`,
    ),
  });

Deno.test("rootCause: walks error.cause and names DNS, refused, TLS, reset and timeouts", () => {
  assertEquals(
    rootCause(
      wrapped("dns error: failed to lookup address information: Name or service not known"),
    ),
    "dns error: failed to lookup address information: Name or service not known",
  );
  assertEquals(
    rootCause(wrapped("tcp connect error: Connection refused (os error 111)")),
    "connection refused",
  );
  assertEquals(
    rootCause(wrapped("invalid peer certificate: UnknownIssuer")),
    "TLS verification failed: invalid peer certificate: UnknownIssuer",
  );
  assertEquals(
    rootCause(
      new TypeError("fetch failed", {
        cause: new Error(
          "error sending request from 127.0.0.1:1 for http://h/ (127.0.0.1:2): client error (SendRequest): connection closed before message completed",
        ),
      }),
    ),
    "connection closed before the response",
  );
  assertEquals(
    rootCause(new DOMException("The operation was aborted due to timeout", "TimeoutError"), {
      timeoutMs: 10_000,
      timeoutSetting: "remote_timeout",
    }),
    "timeout after 10s (remote_timeout)",
  );
  assertEquals(
    rootCause(new Error("x"), { timedOut: true, timeoutMs: 500 }),
    "timeout after 500ms",
  );
  assertEquals(rootCause("plain"), "plain");
  assertEquals(rootCause(new TypeError("fetch failed")), "fetch failed");
});

Deno.test("rootCause: cause cycles and deep chains end", () => {
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  (a as { cause?: unknown }).cause = b;
  assertEquals(errorChain(b), ["b", "a"]);
});

Deno.test("httpStatusCause: status and the first 200 bytes of the body, on one line", () => {
  assertEquals(httpStatusCause(503, "  service\n unavailable "), "HTTP 503: service unavailable");
  assertEquals(httpStatusCause(404, ""), "HTTP 404");
  assertEquals(httpStatusCause(503, "busy", "unavailable"), "HTTP 503 unavailable: busy");
  const long = "x".repeat(500);
  assertEquals(httpStatusCause(500, long), `HTTP 500: ${"x".repeat(200)}…`);
  // Never cuts a multi-byte character in half.
  assertEquals(excerptOf("é".repeat(150)), `${"é".repeat(100)}…`);
});
