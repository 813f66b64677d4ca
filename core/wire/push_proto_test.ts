import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import { decodePushRequest, encodePushRequest } from "./push_proto.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) =>
  new Uint8Array(text.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
const ascii = (text: string) => hex(new TextEncoder().encode(text));

const ID = "734FD599-6865-419E-9475-932762D8F469";
// spec pyroscope-wire.md §2.2, byte by byte.
const GOLDEN = "0a5e" +
  "0a17" + "0a08" + ascii("__name__") + "120b" + ascii("process_cpu") +
  "0a13" + "0a0c" + ascii("service_name") + "1203" + ascii("svc") +
  "122e" + "0a06" + "0a0408011002" + "1224" + ascii(ID);

Deno.test("push codec: encodes the docs/spec/pyroscope-wire.md §2.2 example to its 96 golden bytes", () => {
  const bytes = encodePushRequest([{
    labels: LabelSet.from({ service_name: "svc", __name__: "process_cpu" }),
    samples: [{ rawProfile: fromHex("0a0408011002"), id: ID }],
  }]);
  assertEquals(bytes.length, 96);
  assertEquals(hex(bytes), GOLDEN);
});

Deno.test("push codec: decodes the golden bytes; raw profiles are views, not copies", () => {
  const bytes = fromHex(GOLDEN);
  const [series, ...rest] = decodePushRequest(bytes);
  assertEquals(rest.length, 0);
  assertEquals(series!.labelPairs, [["__name__", "process_cpu"], ["service_name", "svc"]]);
  assertEquals(series!.labels.toRecord(), { __name__: "process_cpu", service_name: "svc" });
  const sample = series!.samples[0]!;
  assertEquals(sample.id, ID);
  assertEquals(hex(sample.rawProfile), "0a0408011002");
  assert(sample.rawProfile.buffer === bytes.buffer, "raw profile shares the request buffer");
});

Deno.test("push codec: keeps wire order and duplicates in labelPairs; Set semantics in labels", () => {
  const bytes = fromHex(
    "0a" + "1a" +
      "0a06" + "0a01" + ascii("b") + "1201" + ascii("1") +
      "0a06" + "0a01" + ascii("a") + "1201" + ascii("2") +
      "0a06" + "0a01" + ascii("b") + "1201" + ascii("3") +
      "1200" + // an empty sample
      "",
  );
  const [series] = decodePushRequest(bytes);
  assertEquals(series!.labelPairs, [["b", "1"], ["a", "2"], ["b", "3"]]);
  assertEquals(series!.labels.toRecord(), { a: "2", b: "3" });
  assertEquals(series!.samples.length, 1);
  assertEquals(series!.samples[0]!.rawProfile.length, 0);
  assertEquals(series!.samples[0]!.id, undefined);
});

Deno.test("push codec: round-trips several series; skips unknown fields", () => {
  const input = [
    { labels: LabelSet.from({ a: "1" }), samples: [{ rawProfile: new Uint8Array([1, 2]) }] },
    {
      labels: LabelSet.from({ b: "é" }),
      samples: [{ rawProfile: new Uint8Array([3]), id: "x" }, { rawProfile: new Uint8Array(0) }],
    },
  ];
  const encoded = encodePushRequest(input);
  // Append an unknown varint field 15 (tag 0x78) at the top level: must be skipped.
  const withUnknown = new Uint8Array([...encoded, 0x78, 0x01]);
  const decoded = decodePushRequest(withUnknown);
  assertEquals(decoded.map((s) => s.labels.toRecord()), [{ a: "1" }, { b: "é" }]);
  assertEquals(decoded[1]!.samples.map((s) => [hex(s.rawProfile), s.id]), [["03", "x"], [
    "",
    undefined,
  ]]);
  assertEquals(encodePushRequest([]).length, 0);
  assertEquals(decodePushRequest(new Uint8Array(0)), []);
});

Deno.test("push codec: malformed input throws 'unmarshal message:'", () => {
  for (const bad of ["0a05", "0a0212", "07", "0a020000", "0b"]) {
    assertThrows(() => decodePushRequest(fromHex(bad)), Error, "unmarshal message:");
  }
});

Deno.test("encodePushRequest: multi-byte label values and long lengths round-trip", () => {
  const big = new Uint8Array(300_000).fill(7);
  const labels = LabelSet.from({ __name__: "cpu", k: "é漢😀", long: "x".repeat(200) });
  const bytes = encodePushRequest([
    { labels, samples: [{ rawProfile: big, id: "ü-id" }, { rawProfile: new Uint8Array() }] },
    { labels: LabelSet.from({ a: "b" }), samples: [] },
  ]);
  const back = decodePushRequest(bytes);
  assertEquals(back.length, 2);
  assertEquals(back[0]!.labels.toRecord(), labels.toRecord());
  assertEquals(back[0]!.samples[0]!.rawProfile.byteLength, 300_000);
  assertEquals(back[0]!.samples[0]!.id, "ü-id");
  assertEquals(back[0]!.samples[1]!.rawProfile.byteLength, 0);
  assertEquals(back[1]!.labels.toRecord(), { a: "b" });
});
