import { assert, assertEquals } from "../../tests/support/assert.ts";
import type { Entry } from "./entry_store.ts";
import { HandOver, type HandOverTarget } from "./hand_over.ts";

const entry = (profiles: number): Entry => ({
  queued: undefined,
  loading: undefined,
  ref: undefined,
  bytes: 10,
  profiles,
});

function handOver() {
  const moved: number[][] = [];
  const givenUp: { n: number[]; reason: string; why: string }[] = [];
  const h = new HandOver({
    moved: (entries) => moved.push(entries.map((e) => e.profiles)),
    giveUp: (entries, reason, why) =>
      givenUp.push({ n: entries.map((e) => e.profiles), reason, why }),
  });
  return { h, moved, givenUp };
}

Deno.test("hand-over: entries go to the successor, which takes them", () => {
  const { h, moved, givenUp } = handOver();
  const received: number[][] = [];
  const successor: HandOverTarget = {
    receiveHandOver: (entries) => (received.push(entries.map((e) => e.profiles)), true),
  };
  assert(!h.retired && !h.handedOver);
  h.to(successor);
  assert(h.retired && h.handedOver);
  h.passOn([entry(1), entry(2)]);
  h.passOn([]); // nothing: no call
  h.passOn([entry(3)]); // a batch back from flight follows
  assertEquals([received, moved, givenUp], [[[1, 2], [3]], [[1, 2], [3]], []]);
});

Deno.test("hand-over: a successor that stopped refuses, and the entries are given up", () => {
  const { h, moved, givenUp } = handOver();
  h.to({ receiveHandOver: () => false });
  h.passOn([entry(1)]);
  assertEquals(moved, []);
  assertEquals(givenUp, [{ n: [1], reason: "endpoint_removed", why: "no successor took them" }]);
});

Deno.test("hand-over: a retired queue gives up under its reason", () => {
  const { h, givenUp } = handOver();
  h.retire("component_removed");
  assert(h.retired && !h.handedOver, "no successor: the queue keeps its own gauges");
  h.giveUp([entry(1), entry(2)], "removed from the config by a reload");
  h.passOn([entry(3)]);
  assertEquals(givenUp.map((g) => [g.n, g.reason]), [[[1, 2], "component_removed"], [
    [3],
    "component_removed",
  ]]);
});
