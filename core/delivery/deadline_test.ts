/**
 * A caller's deadline on queued items (`DeliveryQueueOptions.deadline`): no attempt starts
 * after it, no retry is waited for past it, and the batch is dropped with reason
 * `deadline_exceeded`, counted.
 */

import { assertEquals } from "../../tests/support/assert.ts";
import { metricValue } from "../../tests/support/metrics.ts";
import { sized } from "../admission.ts";
import type { PushItem } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { deliveryMetrics } from "./delivery_metrics.ts";
import { DeliveryQueue } from "./delivery_queue.ts";
import type { QueuedItem } from "./item_codec.ts";
import type { Outcome } from "./outcome.ts";
import { queueConfigSchema } from "./queue_config.ts";

const DOWN: Outcome = { kind: "retry", reason: "connect_error", message: "connection refused" };

function queued(deadline: number | undefined): QueuedItem {
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ service_name: "svc" }),
    samples: [{ rawProfile: new Uint8Array(8) }],
  };
  return { item, meta: deadline === undefined ? {} : { deadline: String(deadline) } };
}

/** Queues one item against an endpoint that is down; resolves when it is given up. */
async function deliverToDown(deadline: number | undefined) {
  const metrics = new MetricsRegistry();
  let attempts = 0;
  const queue = new DeliveryQueue({
    componentId: "test",
    endpoint: "e1",
    config: queueConfigSchema.parse({ senders: 1 }),
    retry: { minBackoffMs: 150, maxBackoffMs: 150, maxAttempts: 3 },
    metrics: deliveryMetrics(metrics),
    logger: silentLogger(),
    batchKey: () => undefined,
    deadline: (batch) => {
      const value = batch[0]!.meta.deadline;
      return value === undefined ? undefined : Number(value);
    },
    send: () => (attempts++, Promise.resolve(DOWN)),
  });
  await queue.start();
  const one = queued(deadline);
  (await queue.reserve([{ ...sized(one.item), queued: one }])).commit();
  const dropped = (reason: string) =>
    metricValue(metrics.render(), "profcol_exporter_dropped_profiles_total", { reason }) ?? 0;
  while (dropped("deadline_exceeded") + dropped("retries_exhausted") === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await queue.shutdown();
  return {
    attempts,
    deadlineExceeded: dropped("deadline_exceeded"),
    retriesExhausted: dropped("retries_exhausted"),
  };
}

Deno.test("delivery deadline: a retry that cannot start before the deadline is not waited for", async () => {
  // Backoff is 150 ms, the deadline 100 ms away: one attempt, then given up at once.
  assertEquals(await deliverToDown(Date.now() + 100), {
    attempts: 1,
    deadlineExceeded: 1,
    retriesExhausted: 0,
  });
});

Deno.test("delivery deadline: an item whose deadline passed while queued is never sent", async () => {
  assertEquals(await deliverToDown(Date.now() - 1), {
    attempts: 0,
    deadlineExceeded: 1,
    retriesExhausted: 0,
  });
});

Deno.test("delivery deadline: without a deadline the same item uses all its attempts", async () => {
  assertEquals(await deliverToDown(undefined), {
    attempts: 3,
    deadlineExceeded: 0,
    retriesExhausted: 1,
  });
});
