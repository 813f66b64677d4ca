import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { HttpError } from "../http/server.ts";
import { answerMarginMs, formatTimeoutMs, incomingDeadline } from "./deadline.ts";

const headers = (value: string) => new Headers({ "Connect-Timeout-Ms": value });

Deno.test("deadline: Connect-Timeout-Ms becomes an absolute deadline; no header, none", () => {
  assertEquals(incomingDeadline(headers("2500"), 1_000), 3_500);
  assertEquals(incomingDeadline(headers("0"), 1_000), 1_000, "0: already past");
  assertEquals(incomingDeadline(headers("9999999999"), 0), 9_999_999_999, "10 digits");
  assertEquals(incomingDeadline(new Headers(), 1_000), undefined);
});

Deno.test("deadline: a malformed Connect-Timeout-Ms is a 400 naming the header and value", () => {
  for (const bad of ["", "-5", "1.5", "10s", "1 0", "12345678901"]) {
    const error = assertThrows(() => incomingDeadline(headers(bad), 0), HttpError) as HttpError;
    assertEquals([error.status, error.reason], [400, "bad_timeout"], bad);
    assertEquals(
      error.message,
      `invalid Connect-Timeout-Ms ${JSON.stringify(bad)}: want 1 to 10 ASCII digits`,
    );
  }
});

Deno.test("deadline: the time left is sent rounded down, left out when none or too long", () => {
  assertEquals(formatTimeoutMs(2499.9), "2499");
  assertEquals(formatTimeoutMs(1), "1");
  assertEquals(formatTimeoutMs(0.9), undefined, "less than 1 ms left: nothing to give");
  assertEquals(formatTimeoutMs(-3), undefined);
  assertEquals(formatTimeoutMs(Number.NaN), undefined);
  assertEquals(formatTimeoutMs(99_999_999_999), undefined, "11 digits do not fit");
});

Deno.test("deadline: the answer margin is a tenth of the time given, at most 100 ms", () => {
  assertEquals([answerMarginMs(300), answerMarginMs(10_000), answerMarginMs(0)], [30, 100, 0]);
});
