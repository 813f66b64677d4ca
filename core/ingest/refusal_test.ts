import { assertEquals } from "../../tests/support/assert.ts";
import { BackpressureError, InvalidItemError, TooLargeError } from "../admission.ts";
import { HttpError } from "../http/server.ts";
import { answerOf, checkSeriesCount, unsupportedEncoding } from "./refusal.ts";

Deno.test("answerOf: one status, reason and Retry-After per fault", () => {
  assertEquals(answerOf(new BackpressureError("queue is full", 1.2)), {
    status: 429,
    reason: "queue_full",
    message: "queue is full",
    headers: { "retry-after": "2" },
  });
  assertEquals(
    answerOf(new BackpressureError("busy", 0, "max_requests_in_flight"))?.headers,
    { "retry-after": "1" },
  );
  assertEquals(answerOf(new TooLargeError("never fits"))?.status, 413);
  assertEquals(answerOf(new TooLargeError("never fits"))?.reason, "too_large");
  const invalid = answerOf(new InvalidItemError("bad label", "invalid_labels"));
  assertEquals([invalid?.status, invalid?.reason], [400, "invalid_labels"]);
  assertEquals(answerOf(unsupportedEncoding("br")), {
    status: 415,
    reason: "unsupported_encoding",
    message: 'unsupported Content-Encoding "br": supported are gzip, identity',
    headers: { "accept-encoding": "gzip, identity" },
  });
  assertEquals(answerOf(new Error("boom")), undefined);
});

Deno.test("checkSeriesCount: 413 too_many_series above the limit, nothing at or below, 0 = none", () => {
  checkSeriesCount(10, 10);
  checkSeriesCount(1_000_000, 0);
  let thrown: unknown;
  try {
    checkSeriesCount(11, 10);
  } catch (error) {
    thrown = error;
  }
  assertEquals(thrown instanceof HttpError, true);
  assertEquals([(thrown as HttpError).status, (thrown as HttpError).reason], [
    413,
    "too_many_series",
  ]);
});
