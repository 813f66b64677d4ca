/**
 * The `queue` block every network exporter shares: per-endpoint bounds in items and bytes,
 * senders, batching, the drain on shutdown and the optional on-disk spool.
 *
 * @module
 */

import { z } from "zod";
import { byteSizeField, durationField, intField, nonEmptyString } from "../config/fields.ts";

/** The `queue.spool` block. */
export const spoolConfigSchema = z.strictObject({
  /** Directory for spooled items; each endpoint gets a sub-directory. */
  directory: nonEmptyString(),
  /** When the spool is fuller than this, the oldest items are dropped (reason spool_full). */
  max_bytes: byteSizeField().default(1024 ** 3),
  /** fsync every file before acknowledging (survives power loss, not only crashes). */
  fsync: z.boolean({ error: "spool.fsync must be true or false" }).default(false),
});

/** The `queue` block. */
export const queueConfigSchema = z.strictObject({
  /** Items held per endpoint (in memory, or referenced from the spool). */
  max_items: intField({ min: 1 }).default(10_000),
  /** Payload bytes held in memory per endpoint; without a spool, a full queue is backpressure. */
  max_bytes: byteSizeField().default(64 * 1024 ** 2),
  /** Requests in flight per endpoint. */
  senders: intField({ min: 1 }).default(4),
  /** Largest push request built from several queued items. */
  batch_max_bytes: byteSizeField().default(4 * 1024 ** 2),
  /** Most series in one push request. */
  batch_max_items: intField({ min: 1 }).default(64),
  /** On shutdown without a spool, how long to keep delivering before counting the rest lost. */
  drain_timeout: durationField().default(10_000),
  spool: spoolConfigSchema.optional(),
});

/** The parsed `queue` block. */
export type QueueConfig = z.output<typeof queueConfigSchema>;
