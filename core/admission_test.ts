import { assertEquals } from "../tests/support/assert.ts";
import { holdOnce } from "./admission.ts";

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
