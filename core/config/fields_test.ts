import { assert, assertEquals } from "../../tests/support/assert.ts";
import type { z } from "zod";
import {
  byteSizeField,
  durationField,
  intField,
  nonEmptyString,
  portField,
  stringField,
} from "./fields.ts";

/** The first issue's message, or "" when `value` parses. */
function messageOf(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  return result.success ? "" : result.error.issues[0]!.message;
}

Deno.test("intField: whole numbers in range, quoted digits too", () => {
  const field = intField({ min: 1 });
  assertEquals(field.parse(4), 4);
  assertEquals(field.parse(" 12 "), 12);
  assertEquals(messageOf(field, 0), "Expected a whole number of 1 or more, got 0");
  assertEquals(messageOf(field, 1.5), "Expected a whole number of 1 or more, got 1.5");
  assertEquals(messageOf(field, "big"), 'Expected a whole number of 1 or more, got "big"');
  assertEquals(
    messageOf(field, true),
    "Expected a whole number of 1 or more, got the boolean true",
  );
  assertEquals(
    messageOf(intField({ min: 0, max: 9 }), 10),
    "Expected a whole number from 0 to 9, got 10",
  );
  assertEquals(messageOf(intField({ max: 9 }), 10), "Expected a whole number of at most 9, got 10");
  assertEquals(intField().parse(-3), -3);
  assertEquals(intField({ min: 0 }).default(7).parse(undefined), 7);
});

Deno.test("portField: 0 to 65535", () => {
  assertEquals(portField().parse("8080"), 8080);
  assertEquals(portField().parse(0), 0);
  assertEquals(messageOf(portField(), "abc"), 'Expected a port number from 0 to 65535, got "abc"');
  assertEquals(messageOf(portField(), 70000), "Expected a port number from 0 to 65535, got 70000");
});

Deno.test("stringField and nonEmptyString", () => {
  assertEquals(stringField().parse(""), "");
  // Kept a zod type issue, so the loader can fall back to an env value's text.
  const issue = stringField().safeParse(5).error!.issues[0]!;
  assertEquals([issue.code, (issue as { expected?: string }).expected], ["invalid_type", "string"]);
  assertEquals(nonEmptyString().parse("x"), "x");
  assertEquals(messageOf(nonEmptyString(), ""), 'Expected a non-empty string, got ""');
});

Deno.test("durationField: Go syntax to milliseconds, no bare numbers, no negatives", () => {
  const field = durationField();
  assertEquals(field.parse("1m30s"), 90_000);
  assertEquals(field.parse("0"), 0);
  assertEquals(field.parse(0), 0);
  assertEquals(field.parse("0s"), 0);
  assertEquals(messageOf(field, "15x"), 'Cannot parse "15x" as a duration');
  assertEquals(messageOf(field, "15"), 'Cannot parse "15" as a duration: missing unit (e.g. 15s)');
  assertEquals(messageOf(field, 15), 'Cannot parse "15" as a duration: missing unit (e.g. 15s)');
  assertEquals(messageOf(field, "-1s"), 'Expected a duration of 0s or more, got "-1s"');
  // Wrong types get zod's issue, worded by zod_issues.ts like every other type error.
  assertEquals(field.safeParse(true).error?.issues[0]?.code, "invalid_union");
  assertEquals(durationField({ allowNegative: true }).parse("-1s"), -1000);
  const positive = durationField({ allowZero: false });
  assertEquals(messageOf(positive, "0s"), 'Expected a duration of more than 0s, got "0s"');
  assertEquals(messageOf(positive, 0), 'Expected a duration of more than 0s, got "0s"');
  assertEquals(positive.parse("1ms"), 1);
  // A default is the parsed value (milliseconds); a prefault is parsed like user input.
  assertEquals(field.default(10_000).parse(undefined), 10_000);
  assertEquals(field.prefault("30s").parse(undefined), 30_000);
});

Deno.test("byteSizeField: bytes or a size with a unit", () => {
  const field = byteSizeField();
  assertEquals(field.parse("64MiB"), 64 * 1024 ** 2);
  assertEquals(field.parse("10MB"), 10_000_000);
  assertEquals(field.parse(1024), 1024);
  assertEquals(field.parse("1048576"), 1048576);
  const hint = "Expected a byte size such as 512MiB, 64KB or 1048576, got";
  assertEquals(messageOf(field, "lots"), `${hint} "lots"`);
  assertEquals(messageOf(field, -1), `${hint} -1`);
  assertEquals(messageOf(field, 1.5), `${hint} 1.5`);
  assertEquals(field.safeParse(null).error?.issues[0]?.code, "invalid_union");
  assert(!field.safeParse("-5MiB").success);
});
