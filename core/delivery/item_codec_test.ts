import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import { decodeQueuedItem, encodeQueuedItem } from "./item_codec.ts";

Deno.test("item codec: push items round-trip byte-identical, ids and meta kept", () => {
  const item = {
    kind: "push" as const,
    labels: LabelSet.from({ __name__: "memory", service_name: "svc", "otel.scope.name": "x" }),
    samples: [
      { rawProfile: new Uint8Array([0x1f, 0x8b, 1, 2, 3]), id: "abc" },
      { rawProfile: new Uint8Array([]) },
      { rawProfile: new Uint8Array([9]) },
    ],
  };
  const back = decodeQueuedItem(encodeQueuedItem({ item, meta: { tenant: "t" } }));
  assertEquals(back, { item, meta: { tenant: "t" } });
  if (back.item.kind !== "push") throw new Error("kind");
  assertEquals([...back.item.labels], [
    ["__name__", "memory"],
    ["otel.scope.name", "x"],
    ["service_name", "svc"],
  ]);
  assertEquals(back.item.samples.map((s) => [...s.rawProfile]), [[0x1f, 0x8b, 1, 2, 3], [], [9]]);
  assertEquals(back.item.samples.map((s) => s.id), ["abc", undefined, undefined]);
});

Deno.test("item codec: ingest items keep body, content types and query order", () => {
  const item = {
    kind: "ingest" as const,
    labels: LabelSet.from({ __name__: "app.cpu", env: "prod" }),
    body: new TextEncoder().encode("foo;bar 1\n"),
    contentType: ["multipart/form-data; boundary=x", "text/plain"],
    query: [["until", "2"], ["from", "1"], ["from", "0"]] as [string, string][],
  };
  const back = decodeQueuedItem(encodeQueuedItem({ item, meta: {} }));
  assertEquals(back, { item, meta: {} });
  assertEquals(back.item.labels, LabelSet.from({ __name__: "app.cpu", env: "prod" }));
});

Deno.test("item codec: damaged files are refused with a reason", () => {
  assertThrows(() => decodeQueuedItem(new Uint8Array([1, 2, 3])), Error, "bad magic");
  const good = encodeQueuedItem({
    item: { kind: "push", labels: LabelSet.EMPTY, samples: [{ rawProfile: new Uint8Array(10) }] },
    meta: {},
  });
  assertThrows(() => decodeQueuedItem(good.subarray(0, good.length - 1)), Error, "truncated");
});
