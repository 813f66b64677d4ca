import { assertEquals, assertRejects, assertThrows } from "../../tests/support/assert.ts";
import { BackpressureError, TooLargeError } from "../admission.ts";
import { CapacityLedger, type CapacityLimits } from "./capacity_ledger.ts";

function ledger(limits: Partial<CapacityLimits> = {}): CapacityLedger {
  return new CapacityLedger({
    owner: "e1",
    maxItems: 3,
    maxBytes: 100,
    itemsSetting: "queue.max_items",
    bytesSetting: "queue.max_bytes",
    ...limits,
  });
}

Deno.test("capacity ledger: more than a limit is too large even when empty", () => {
  const empty = ledger();
  assertThrows(() => empty.check({ items: 4, bytes: 1 }), TooLargeError, "queue.max_items (3)");
  assertThrows(() => empty.check({ items: 1, bytes: 101 }), TooLargeError, "queue.max_bytes (100)");
  assertThrows(() => empty.reserve({ items: 4, bytes: 0 }, () => {}), TooLargeError);
  assertEquals([empty.items, empty.bytes], [0, 0]);
});

Deno.test("capacity ledger: reserved room counts until committed or released", () => {
  const l = ledger();
  let committed = 0;
  const first = l.reserve({ items: 2, bytes: 60 }, () => committed++);
  // Held by the open reservation: a second one that would overfill is backpressure.
  assertThrows(() => l.check({ items: 2, bytes: 1 }), BackpressureError);
  assertThrows(() => l.check({ items: 1, bytes: 41 }), BackpressureError);
  l.check({ items: 1, bytes: 40 });
  first.commit();
  first.commit();
  assertEquals([committed, l.items, l.bytes], [1, 2, 60]);
  first.release(); // after commit: nothing
  assertEquals([l.items, l.bytes], [2, 60]);
  l.free({ items: 2, bytes: 60 });
  assertEquals([l.items, l.bytes], [0, 0]);
  l.check({ items: 3, bytes: 100 });
});

Deno.test("capacity ledger: release gives the room back once and runs onRelease", async () => {
  const l = ledger();
  let released = 0;
  const held = l.reserve({ items: 3, bytes: 100 }, () => {}, () => {
    released++;
  });
  assertThrows(() => l.check({ items: 1, bytes: 0 }), BackpressureError);
  await held.release();
  await held.release();
  held.commit(); // after release: nothing
  assertEquals([released, l.items, l.bytes], [1, 0, 0]);
  l.check({ items: 3, bytes: 100 });
});

Deno.test("capacity ledger: refuseWhenFull false keeps only the size limits", async () => {
  const l = ledger({ refuseWhenFull: false, maxItems: Infinity });
  l.add({ items: 1000, bytes: 100 });
  l.check({ items: 5, bytes: 100 });
  assertThrows(() => l.check({ items: 1, bytes: 101 }), TooLargeError);
  await assertRejects(
    () => Promise.resolve().then(() => l.reserve({ items: 1, bytes: 101 }, () => {})),
    TooLargeError,
  );
});
