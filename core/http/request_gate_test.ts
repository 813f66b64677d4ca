import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { BackpressureError } from "../admission.ts";
import type { BodyProgress } from "./read_body.ts";
import { RequestGate } from "./request_gate.ts";
import type { HttpError } from "./server.ts";

/** Holds a slot with the given progress until `release` resolves; records a cut. */
function hold(gate: RequestGate, received: number, release: Promise<void>) {
  const cuts: HttpError[] = [];
  const done = gate.run(async (slot: BodyProgress) => {
    slot.received = received;
    slot.cut = (error) => cuts.push(error);
    await release;
  });
  return { cuts, done };
}

Deno.test("request gate: a full gate gives a slot of a body below the minimum rate to a newcomer", async () => {
  const gate = new RequestGate({
    maxInFlight: 2,
    retryAfterSeconds: 1,
    minBytesPerSecond: 1024,
    evictAfterMs: 20,
  });
  const release = Promise.withResolvers<void>();
  const fast = hold(gate, 1 << 20, release.promise);
  const slow = hold(gate, 1, release.promise);
  await new Promise((r) => setTimeout(r, 40));
  await gate.run(() => Promise.resolve());
  assertEquals(slow.cuts.map((error) => [error.status, error.reason]), [[408, "body_too_slow"]]);
  assertEquals(fast.cuts, []);
  // The fast reader keeps its slot; the next newcomer finds no slow slot to take.
  const third = hold(gate, 0, release.promise);
  await assertRejects(() => gate.run(() => Promise.resolve()), BackpressureError);
  assertEquals(gate.inFlight, 2);
  release.resolve();
  await Promise.all([fast.done, slow.done, third.done]);
  assertEquals(gate.inFlight, 0);
});

Deno.test("request gate: a slow slot younger than evictAfterMs is not taken", async () => {
  const gate = new RequestGate({
    maxInFlight: 1,
    retryAfterSeconds: 1,
    minBytesPerSecond: 1024,
    evictAfterMs: 10_000,
  });
  const release = Promise.withResolvers<void>();
  const young = hold(gate, 0, release.promise);
  await assertRejects(() => gate.run(() => Promise.resolve()), BackpressureError);
  assertEquals(young.cuts, []);
  release.resolve();
  await young.done;
});
