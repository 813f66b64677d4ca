/**
 * The `queue` block every network exporter shares: per-endpoint bounds in items and bytes,
 * senders, batching, the drain on shutdown and the optional on-disk spool.
 *
 * @module
 */

import { z } from "zod";
import { byteSize } from "../byte_size.ts";
import { duration } from "../duration.ts";

const positiveInt = (field: string) =>
  z.number({ error: `${field} must be a number` }).int(`${field} must be a whole number`).min(
    1,
    `${field} must be at least 1`,
  );

/** The `queue.spool` block. */
export const spoolConfigSchema = z.strictObject({
  /** Directory for spooled items; each endpoint gets a sub-directory. */
  directory: z.string({ error: "spool.directory must be a path" }).min(
    1,
    "spool.directory must not be empty",
  ),
  /** When the spool is fuller than this, the oldest items are dropped (reason spool_full). */
  max_bytes: byteSize().default(1024 ** 3),
  /** fsync every file before acknowledging (survives power loss, not only crashes). */
  fsync: z.boolean({ error: "spool.fsync must be true or false" }).default(false),
});

/** The `queue` block. */
export const queueConfigSchema = z.strictObject({
  /** Items held per endpoint (in memory, or referenced from the spool). */
  max_items: positiveInt("queue.max_items").default(10_000),
  /** Payload bytes held in memory per endpoint; without a spool, a full queue is backpressure. */
  max_bytes: byteSize().default(64 * 1024 ** 2),
  /** Requests in flight per endpoint. */
  senders: positiveInt("queue.senders").default(4),
  /** Largest push request built from several queued items. */
  batch_max_bytes: byteSize().default(4 * 1024 ** 2),
  /** Most series in one push request. */
  batch_max_items: positiveInt("queue.batch_max_items").default(64),
  /** On shutdown without a spool, how long to keep delivering before counting the rest lost. */
  drain_timeout: duration().default(10_000),
  spool: spoolConfigSchema.optional(),
});

/** The parsed `queue` block. */
export type QueueConfig = z.output<typeof queueConfigSchema>;

/** The defaults, parsed. */
export function defaultQueueConfig(): QueueConfig {
  return queueConfigSchema.parse({});
}
