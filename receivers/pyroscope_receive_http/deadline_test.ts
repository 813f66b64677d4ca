/**
 * Incoming deadlines (`Connect-Timeout-Ms`): a request that cannot be queued in time is
 * answered 504 `deadline_exceeded` before its deadline and never queued afterwards; with
 * `propagate_deadline` the queued items carry the deadline on.
 */

import { assert, assertEquals } from "../../tests/support/assert.ts";
import { LabelSet } from "../../core/labels.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { inProcessReceiver, TOY_PPROF } from "./test_helpers.ts";

const PUSH = "/push.v1.PusherService/Push";
const pushBody = encodePushRequest([{
  labels: LabelSet.from({ __name__: "process_cpu", service_name: "api" }),
  samples: [{ rawProfile: TOY_PPROF }],
}]);

/** A body that sends nothing until `release` is called, then `bytes`. */
function heldBody(bytes: Uint8Array) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      await released;
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return { body, release };
}

for (
  const [route, path, contentType, bytes] of [
    ["Push", PUSH, "application/proto", pushBody],
    ["/ingest", "/ingest?name=app&format=pprof", "application/octet-stream", TOY_PPROF],
  ] as const
) {
  Deno.test(`receive_http deadline: a ${route} whose body is too slow is answered 504 before its deadline, never queued`, async () => {
    await using running = inProcessReceiver();
    const { body, release } = heldBody(bytes);
    const timeoutMs = 400;
    const started = Date.now();
    const response = await running.fetch(path, {
      method: "POST",
      headers: { "content-type": contentType, "connect-timeout-ms": String(timeoutMs) },
      body,
    });
    const elapsed = Date.now() - started;
    assertEquals(response.status, 504);
    assertEquals((await response.json()).code, "deadline_exceeded");
    // The contract under test: the caller hears before its own timer fires (not a speed goal).
    assert(elapsed < timeoutMs, `answered after ${elapsed} ms, past the ${timeoutMs} ms deadline`);
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assertEquals(running.consumer.items.length, 0, "what was answered 504 is never queued");
  });
}

Deno.test("receive_http deadline: with propagate_deadline the queued items carry it, without it not", async () => {
  for (const propagate of [true, false]) {
    await using running = inProcessReceiver({ propagate_deadline: propagate });
    const before = Date.now();
    const response = await running.fetch(PUSH, {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-timeout-ms": "5000" },
      body: pushBody as BodyInit,
    });
    const after = Date.now();
    assertEquals(response.status, 200, await response.text());
    const deadline = running.consumer.items[0]!.deadline;
    if (!propagate) {
      assertEquals(deadline, undefined);
      continue;
    }
    assert(
      deadline !== undefined && deadline >= before + 5000 && deadline <= after + 5000,
      `deadline ${deadline} is the arrival time plus 5000 ms`,
    );
  }
});

Deno.test("receive_http deadline: a malformed Connect-Timeout-Ms is refused 400 naming it", async () => {
  await using running = inProcessReceiver();
  const response = await running.fetch(PUSH, {
    method: "POST",
    headers: { "content-type": "application/proto", "connect-timeout-ms": "10s" },
    body: pushBody as BodyInit,
  });
  assertEquals(response.status, 400);
  assertEquals(await response.json(), {
    code: "invalid_argument",
    message: 'invalid Connect-Timeout-Ms "10s": want 1 to 10 ASCII digits',
  });
  assertEquals(running.consumer.items.length, 0);
});
