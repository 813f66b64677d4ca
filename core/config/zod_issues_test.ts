import { z } from "zod";
import { assertEquals } from "../../tests/support/assert.ts";
import { byteSizeField as byteSize, durationField as duration } from "./fields.ts";
import { describeZodIssue } from "./zod_issues.ts";

const schema = z.strictObject({
  enabled: z.boolean().default(true),
  scrape_interval: duration().prefault("15s"),
  max_bytes: byteSize().prefault("64MiB"),
  scheme: z.enum(["http", "https"]).default("http"),
  name: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  own: z.boolean({ error: "own must be true or false" }).optional(),
});

function messages(input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    describeZodIssue(issue, schema, input).map((d) => `${d.path.join("::")}: ${d.message}`)
  );
}

Deno.test("zod issues: type errors name the expected type and the value found", () => {
  assertEquals(messages({ name: "a", enabled: "yes" }), [
    'enabled: Expected a boolean (true or false), got the string "yes"',
  ]);
  assertEquals(messages({ name: "a", scrape_interval: true }), [
    'scrape_interval: Expected a duration string such as "15s", got the boolean true',
  ]);
  assertEquals(messages({ name: "a", max_bytes: [1] }), [
    'max_bytes: Expected a byte size such as "64MiB", got a list',
  ]);
  assertEquals(messages({ name: "a", scheme: "ftp" }), [
    'scheme: Expected one of "http", "https", got the string "ftp"',
  ]);
  assertEquals(messages({ name: 15 }), ["name: Expected a string, got the number 15"]);
  assertEquals(messages({ name: "a", labels: { x: 1 } }), [
    "labels::x: Expected a string, got the number 1",
  ]);
});

Deno.test("zod issues: missing settings, unknown keys and a component's own wording", () => {
  assertEquals(messages({}), ["name: Missing required setting (expected a string)"]);
  assertEquals(messages({ name: "a", enable: true }), [
    'enable: Unknown key "enable"; did you mean "enabled"?',
  ]);
  assertEquals(messages({ name: "a", own: 1 }), [
    "own: own must be true or false, got the number 1",
  ]);
});
