import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { decodeBase64Any, decodePushJson } from "./push_json.ts";

const PPROF = new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]);
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

Deno.test("decodePushJson: JSON and proto field names, Set semantics on labels, ID kept", () => {
  const series = decodePushJson(encode({
    series: [{
      labels: [
        { name: "__name__", value: "process_cpu" },
        { name: "service_name", value: "a" },
        { name: "service_name", value: "svc" },
        { name: "gone", value: "x" },
        { name: "gone", value: "" },
      ],
      samples: [
        { rawProfile: "CgQIARAC", ID: "734FD599-6865-419E-9475-932762D8F469" },
        { raw_profile: "CgQIARAC" },
      ],
      annotations: [{ key: "k", value: "v" }],
      someFutureField: { nested: true },
    }],
    unknownTopLevel: 1,
  }));
  assertEquals(series.length, 1);
  assertEquals(series[0]!.labels.toRecord(), { __name__: "process_cpu", service_name: "svc" });
  assertEquals(series[0]!.labelPairs.length, 5);
  assertEquals(series[0]!.samples[0]!.id, "734FD599-6865-419E-9475-932762D8F469");
  assertEquals(series[0]!.samples[0]!.rawProfile, PPROF);
  assertEquals(series[0]!.samples[1]!.rawProfile, PPROF);
  assertEquals(series[0]!.samples[1]!.id, undefined);
});

Deno.test("decodePushJson: null and missing fields are defaults", () => {
  assertEquals(decodePushJson(encode({})), []);
  assertEquals(decodePushJson(encode({ series: null })), []);
  const [one] = decodePushJson(
    encode({ series: [{ labels: null, samples: [{ rawProfile: null }] }] }),
  );
  assertEquals(one!.labels.size, 0);
  assertEquals(one!.samples[0]!.rawProfile.length, 0);
});

Deno.test("decodeBase64Any: standard and URL-safe, padded or not", () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x01]);
  for (const text of ["+//+AQ==", "+//+AQ", "-__-AQ==", "-__-AQ"]) {
    assertEquals(decodeBase64Any(text), bytes, text);
  }
  assertThrows(() => decodeBase64Any("abcde"), Error, "length");
  assertThrows(() => decodeBase64Any("ab$d"), Error, "character");
});

Deno.test("decodePushJson: type errors name the path", () => {
  const cases: [unknown, string][] = [
    [[], "request: expected an object, got array"],
    [{ series: {} }, "series: expected an array, got object"],
    [{ series: [1] }, "series[0]: expected an object, got number"],
    [{ series: [{ labels: [{ name: 5 }] }] }, "series[0].labels[0].name: expected a string"],
    [{ series: [{ samples: [{ rawProfile: 7 }] }] }, "series[0].samples[0].rawProfile: expected"],
    [{ series: [{ samples: [{ raw_profile: "a$" }] }] }, "series[0].samples[0].raw_profile:"],
    [{ series: [{ samples: [{ ID: true }] }] }, "series[0].samples[0].ID: expected a string"],
  ];
  for (const [input, message] of cases) {
    assertThrows(() => decodePushJson(encode(input)), Error, `unmarshal message: ${message}`);
  }
  assertThrows(
    () => decodePushJson(new TextEncoder().encode("{not json")),
    Error,
    "unmarshal message: invalid JSON",
  );
  assertThrows(
    () => decodePushJson(new Uint8Array([0x22, 0xff, 0x22])),
    Error,
    "unmarshal message: request body is not valid UTF-8",
  );
});
