import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import {
  formatIngestName,
  IngestNameError,
  isIngestAppName,
  isIngestLabelName,
  isIngestLabelValue,
  parseIngestName,
} from "./ingest_name.ts";

function parsed(name: string): Record<string, string> {
  return parseIngestName(name).toRecord();
}

Deno.test("parseIngestName: docs/spec/pyroscope-wire.md §6.2 results", () => {
  assertEquals(parsed("app"), { __name__: "app" });
  assertEquals(parsed("app{}"), { __name__: "app" });
  assertEquals(parsed("app{a=b,c=d}"), { __name__: "app", a: "b", c: "d" });
  // The last pair is never committed without a closing brace: `a` is lost.
  assertEquals(parsed("app{a=b"), { __name__: "app" });
  assertEquals(parsed("app{a=b,c=d"), { __name__: "app", a: "b" });
  // A key without `=` is dropped silently.
  assertEquals(parsed("app{x}"), { __name__: "app" });
  assertThrows(() => parseIngestName("app{a-b=c}"), IngestNameError, "invalid label name: a-b");
  assertThrows(() => parseIngestName("{a=b}"), IngestNameError, "service name is required");
  assertThrows(() => parseIngestName(""), IngestNameError, "service name is required");
  assertThrows(() => parseIngestName("my app{}"), IngestNameError, "invalid service name: my app");
});

Deno.test("parseIngestName: receive_http cases of docs/spec/pyroscope-wire.md §5.2 (before ensureServiceName)", () => {
  assertEquals(parsed("test_app"), { __name__: "test_app" });
  assertEquals(parsed("test.app{env=prod,region=us-east}"), {
    __name__: "test.app",
    env: "prod",
    region: "us-east",
  });
  assertEquals(parsed("test.app{invalid-label-syntax}"), { __name__: "test.app" });
  assertEquals(parsed("test.app{service_name=my-service}"), {
    __name__: "test.app",
    service_name: "my-service",
  });
});

Deno.test("parseIngestName: trimming, app-name charset, values with any character", () => {
  assertEquals(parsed("  my-app/x.cpu  { env = prod , tag = a b=c }"), {
    __name__: "my-app/x.cpu",
    env: "prod",
    tag: "a b=c",
  });
  assertEquals(parsed("app{url=http://x:1/p?q}"), { __name__: "app", url: "http://x:1/p?q" });
  assertThrows(() => parseIngestName("app:1{}"), IngestNameError, "character is not allowed: ':'");
});

Deno.test("parseIngestName: lossy and surprising cases are kept for wire compatibility", () => {
  // A comma in key state joins the key, which then fails validation.
  assertThrows(() => parseIngestName("app{x,a=b}"), IngestNameError, "invalid label name: x,a");
  // After a value-closing `}` the parser reads keys again.
  assertEquals(parsed("app{a=b}c=d}"), { __name__: "app", a: "b", c: "d" });
  // ... and a `}` read as a key ends parsing.
  assertEquals(parsed("app{a=b}}c=d}"), { __name__: "app", a: "b" });
  assertThrows(() => parseIngestName("app{a=b}{c=d}"), IngestNameError, "invalid label name: {c");
  // Later duplicates win; an empty value leaves the label out.
  assertEquals(parsed("app{a=1,a=2,b=}"), { __name__: "app", a: "2" });
  // `__name__` skips key validation and replaces the application name.
  assertEquals(parsed("app{__name__=other}"), { __name__: "other" });
  assertThrows(() => parseIngestName("app{=v}"), IngestNameError, "label name is required");
});

Deno.test("formatIngestName: normalized form with sorted keys and no escaping", () => {
  const labels = LabelSet.from({
    __name__: "myapp",
    service_name: "myapp",
    env: "prod",
    cluster: "c1",
  });
  assertEquals(formatIngestName(labels), "myapp{cluster=c1,env=prod,service_name=myapp}");
  assertEquals(formatIngestName(LabelSet.from({ __name__: "a" })), "a{}");
  // Byte order: upper case before `_` before lower case.
  assertEquals(
    formatIngestName(LabelSet.from({ __name__: "a", b: "1", B: "2", _x: "3" })),
    "a{B=2,_x=3,b=1}",
  );
});

Deno.test("formatIngestName round-trips through parseIngestName", () => {
  for (const name of ["app{}", "my.app.cpu{env=prod,region=eu}", "a/b-c{x.y=1 2}"]) {
    assertEquals(formatIngestName(parseIngestName(name)), name);
  }
});

Deno.test("isIngest*: what name= can carry, the same charsets parseIngestName checks", () => {
  for (const app of ["app", "my-app/x.cpu_1"]) {
    assertEquals([isIngestAppName(app), parsed(`${app}{}`).__name__], [true, app]);
  }
  for (const app of ["", "my app", "app:1", "é"]) {
    assertEquals(isIngestAppName(app), false, app);
    assertThrows(() => parseIngestName(`${app}{}`), IngestNameError);
  }
  for (const key of ["env", "a.b_C9"]) {
    assertEquals([isIngestLabelName(key), parsed(`app{${key}=v}`)[key]], [true, "v"]);
  }
  // Keys take neither `-` nor `/` (application names do).
  for (const key of ["a-b", "a/b", "é", "a b"]) {
    assertEquals(isIngestLabelName(key), false, key);
    assertThrows(() => parseIngestName(`app{${key}=v}`), IngestNameError);
  }
  assertEquals(isIngestLabelName(""), false);
  assertEquals(["v", "a b", "http://x:1/p?q"].map(isIngestLabelValue), [true, true, true]);
  assertEquals([" v", "v ", "a,b", "a}b", "a{b", "a=b"].filter(isIngestLabelValue), []);
});
