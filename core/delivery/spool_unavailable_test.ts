/**
 * A spool that cannot be written (disk full, write error) refuses the request as unavailable
 * (503 with Retry-After), leaves no file of it behind, and loses nothing it acknowledged.
 */
import { until } from "../../tests/support/in_process.ts";
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { refusalReason, refusalStatus, sized, UnavailableError } from "../admission.ts";
import type { PushItem } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { Logger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";
import { deliveryMetrics } from "./delivery_metrics.ts";
import { DeliveryQueue, type Parcel } from "./delivery_queue.ts";
import type { QueuedItem } from "./item_codec.ts";
import { DELIVERED, type Outcome } from "./outcome.ts";
import { queueConfigSchema } from "./queue_config.ts";

function parcel(n: number): Parcel {
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ n: String(n) }),
    samples: [{ rawProfile: new Uint8Array(50).fill(n) }],
  };
  return { ...sized(item), queued: { item, meta: {} } };
}

Deno.test("spool full: the request is refused as unavailable (503), its files removed, nothing acknowledged lost", async () => {
  const dir = await Deno.makeTempDir();
  let diskFull = false;
  let writes = 0;
  let up = false;
  const delivered: number[] = [];
  const lines: { level: string; msg: string }[] = [];
  const logger = new Logger({
    level: "debug",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  const queue = new DeliveryQueue({
    componentId: "test",
    endpoint: "e1",
    config: queueConfigSchema.parse({ senders: 1, spool: { directory: dir } }),
    retry: { minBackoffMs: 5, maxBackoffMs: 10, maxAttempts: 0 },
    metrics: deliveryMetrics(new MetricsRegistry()),
    logger,
    spoolDirectory: dir,
    spoolWriteFile: async (path, bytes) => {
      // The first file of the request fits; the second is cut off by the full disk. Neither
      // may stay: the request is refused whole.
      if (diskFull && writes++ > 0) {
        await Deno.writeFile(path, bytes.subarray(0, 10));
        throw Object.assign(new Error("No space left on device (os error 28)"), {
          code: "ENOSPC",
        });
      }
      await Deno.writeFile(path, bytes);
    },
    batchKey: () => "",
    send: (batch: readonly QueuedItem[]): Promise<Outcome> => {
      if (!up) {
        return Promise.resolve({ kind: "retry", reason: "connect_error", message: "down" });
      }
      for (const q of batch) delivered.push(Number(q.item.labels.get("n")));
      return Promise.resolve(DELIVERED);
    },
  });
  try {
    await queue.start();
    (await queue.reserve([parcel(1), parcel(2)])).commit(); // acknowledged
    diskFull = true;
    const error = await assertRejects(
      () => queue.reserve([parcel(3), parcel(4)]),
      UnavailableError,
      "cannot write to the spool of e1",
    );
    assertEquals(refusalStatus(error), { status: 503, retryAfterSeconds: 5 });
    assertEquals(refusalReason(error), "spool_no_space");
    assertEquals(queue.size, 2, "nothing of the refused request is queued");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "LOCK");
    assertEquals(names.filter((n) => n.endsWith(".tmp")), [], "no temp file left");
    assertEquals(names.length, 2, "only the acknowledged items are on disk");
    const warned = lines.filter((l) => l.msg.startsWith("cannot write to the spool"));
    assertEquals(warned.map((l) => l.level), ["warn"]);

    diskFull = false;
    (await queue.reserve([parcel(5)])).commit();
    assertEquals(lines.filter((l) => l.msg === "the spool is writable again").length, 1);
    up = true;
    await until(() => delivered.length === 3);
    assertEquals(delivered, [1, 2, 5]);
  } finally {
    await queue.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
