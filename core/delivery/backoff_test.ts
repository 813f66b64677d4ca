import { assert, assertEquals } from "../../tests/support/assert.ts";
import { Backoff, MAX_RETRY_AFTER_MS, parseRetryAfter } from "./backoff.ts";

Deno.test("backoff: windows double from [min, 2min) up to max, as dskit", () => {
  let r = 0;
  const backoff = new Backoff({ minMs: 500, maxMs: 4000, maxAttempts: 0, random: () => r });
  // Once the window's top reaches max it stops moving: [max/2, max), as dskit.
  const lows = [0, 0, 0, 0, 0].map(() => backoff.next());
  assertEquals(lows, [500, 1000, 2000, 2000, 2000]);
  r = 0.999999;
  const b2 = new Backoff({ minMs: 500, maxMs: 4000, maxAttempts: 0, random: () => r });
  const highs = [0, 0, 0, 0].map(() => Math.round(b2.next()));
  assertEquals(highs, [1000, 2000, 4000, 4000]);
});

Deno.test("backoff: maxAttempts counts attempts, 0 is forever", () => {
  const backoff = new Backoff({ minMs: 1, maxMs: 2, maxAttempts: 3 });
  backoff.next();
  backoff.next();
  assert(!backoff.exhausted);
  backoff.next();
  assert(backoff.exhausted);
  assertEquals(backoff.attempts, 3);
  backoff.reset();
  assertEquals(backoff.attempts, 0);
  const forever = new Backoff({ minMs: 1, maxMs: 2, maxAttempts: 0 });
  for (let i = 0; i < 1000; i++) forever.next();
  assert(!forever.exhausted);
});

Deno.test("backoff: min equal to max gives a constant delay", () => {
  const backoff = new Backoff({ minMs: 300, maxMs: 300, maxAttempts: 0 });
  assertEquals([backoff.next(), backoff.next()], [300, 300]);
});

Deno.test("parseRetryAfter: seconds, HTTP dates, garbage, cap", () => {
  assertEquals(parseRetryAfter("2"), 2000);
  assertEquals(parseRetryAfter(" 0 "), 0);
  assertEquals(parseRetryAfter(null), undefined);
  assertEquals(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2026-11-22T10:00:00Z");
  assertEquals(parseRetryAfter("Sun, 22 Nov 2026 10:00:05 GMT", now), 5000);
  assertEquals(parseRetryAfter("Sun, 22 Nov 2026 09:00:00 GMT", now), 0);
  assertEquals(parseRetryAfter("999999"), MAX_RETRY_AFTER_MS);
});
