import { assertEquals, assertThrows } from "../tests/support/assert.ts";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration: Go syntax to milliseconds", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["0s", 0],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1.5s", 1500],
    [".5s", 500],
    ["1h2m3s4ms", 3_723_004],
    ["100us", 0.1],
    ["100µs", 0.1],
    ["1000000ns", 1],
    ["-1s", -1000],
    ["+2m", 120_000],
    [" 15s ", 15_000],
  ];
  for (const [text, ms] of cases) assertEquals(parseDuration(text), ms, text);
});

Deno.test("parseDuration: errors name the input", () => {
  for (const text of ["15x", "", "5", "1d", "s", "1.2.3s", "1s 2s", "-", "abc"]) {
    assertThrows(
      () => parseDuration(text),
      Error,
      `Cannot parse ${JSON.stringify(text)} as a duration`,
    );
  }
});

Deno.test("parseDuration: a bare number other than 0 is missing its unit, as in Go", () => {
  for (const text of ["15", "1.5", "-3"]) {
    assertThrows(
      () => parseDuration(text),
      Error,
      `Cannot parse "${text}" as a duration: missing unit (e.g. ${text}s)`,
    );
  }
  assertEquals(parseDuration("0"), 0);
});

Deno.test("formatDuration prints as Go does", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [0.5, "500µs"],
    [-2000, "-2s"],
  ];
  for (const [ms, text] of cases) assertEquals(formatDuration(ms), text, String(ms));
  for (const text of ["1m30s", "2h0m0s", "250ms", "1.5s"]) {
    assertEquals(formatDuration(parseDuration(text)), text);
  }
});
