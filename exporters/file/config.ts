/**
 * Config of the `file` exporter. Byte sizes accept a number of bytes or a string with a unit
 * (`512MiB`, `64KB`, `1GiB`, `100B`; KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000).
 *
 * @module
 */

import { z } from "zod";
import { parseByteSize } from "../../core/byte_size.ts";
import {
  byteSizeField,
  durationField,
  intField,
  nonEmptyString,
} from "../../core/config/fields.ts";

export { parseByteSize };

/** Schema of the `file` exporter's config (snake_case keys, unknown keys rejected). */
export const fileExporterConfigSchema = z.strictObject({
  /** Where profiles and the index are written; created when missing. */
  directory: nonEmptyString().default("./data/profiles"),
  /** Disk cap for everything under `directory`; the oldest files go first. */
  max_total_bytes: byteSizeField().default(512 * 1024 * 1024),
  /** Files older than this are deleted; `0s` keeps files until the size cap. */
  max_age: durationField().default(24 * 3_600_000),
  /** The active `index.jsonl` is rotated to `index-<n>.jsonl` past this size. */
  max_index_bytes: byteSizeField().default(16 * 1024 * 1024),
  /** Items waiting to be written before `consume` answers with backpressure. */
  queue_size: intField({ min: 1 }).default(1000),
  /** Bytes waiting to be written before `consume` answers with backpressure. */
  queue_bytes: byteSizeField().default(64 * 1024 * 1024),
}).refine((c) => c.max_index_bytes <= c.max_total_bytes, {
  message: "max_index_bytes must not exceed max_total_bytes",
  path: ["max_index_bytes"],
});

/** The validated config. */
export type FileExporterConfig = z.output<typeof fileExporterConfigSchema>;

/** The default config as a user would write it. */
export function createDefaultFileExporterConfig(): z.input<typeof fileExporterConfigSchema> {
  return {
    directory: "./data/profiles",
    max_total_bytes: "512MiB",
    max_age: "24h",
    max_index_bytes: "16MiB",
    queue_size: 1000,
    queue_bytes: "64MiB",
  };
}
