import { assert, assertEquals } from "../tests/support/assert.ts";
import {
  BackpressureError,
  holdOnce,
  InvalidItemError,
  refusalIn,
  refusalReason,
  refusalStatus,
  TooLargeError,
  UnavailableError,
} from "./admission.ts";

Deno.test("holdOnce: the first of commit or release settles; later calls do nothing", async () => {
  const calls: string[] = [];
  const hold = () =>
    holdOnce(
      () => calls.push("unhold"),
      () => calls.push("commit"),
      () => void calls.push("release"),
    );
  const committed = hold();
  committed.commit();
  committed.commit();
  await committed.release();
  assertEquals(calls, ["unhold", "commit"]);
  calls.length = 0;
  const released = hold();
  await released.release();
  await released.release();
  released.commit();
  assertEquals(calls, ["unhold", "release"]);
});

Deno.test("refusalStatus: one refusal → HTTP status mapping, with Retry-After for what may pass", () => {
  const full = new UnavailableError("spool full", "spool_no_space", 2.5);
  assertEquals(refusalStatus(full), { status: 503, retryAfterSeconds: 3 });
  assertEquals(refusalStatus(new BackpressureError("queue full", 0)), {
    status: 429,
    retryAfterSeconds: 1,
  });
  assertEquals(refusalStatus(new TooLargeError("big")), { status: 413 });
  assertEquals(refusalStatus(new InvalidItemError("bad", "invalid_labels")), { status: 400 });
  assertEquals(refusalStatus(new Error("bug")), undefined);
  // Context added on the way up keeps the kind, the reason and the wait.
  const wrapped = refusalIn("exporter w", full);
  assert(wrapped instanceof UnavailableError && wrapped.message === "exporter w: spool full");
  assertEquals([refusalReason(wrapped), refusalStatus(wrapped)?.status], ["spool_no_space", 503]);
  assertEquals(refusalReason(new BackpressureError("queue full")), "queue_full");
});
