/**
 * The `pyroscope.write` exporter factory: pushes profiles to Pyroscope-compatible endpoints.
 *
 * @module
 */

import type { ExporterFactory } from "../../core/component.ts";
import { pyroscopeWriteConfigSchema } from "./config.ts";
import { PyroscopeWriteExporter } from "./pyroscope_write.ts";
import { pyroscopeWriteAlloy } from "./alloy.ts";

export { PyroscopeWriteExporter } from "./pyroscope_write.ts";
export { type PyroscopeWriteConfig, pyroscopeWriteConfigSchema } from "./config.ts";

/** Factory of the `pyroscope.write` exporter. */
export const pyroscopeWriteExporterFactory: ExporterFactory<typeof pyroscopeWriteConfigSchema> = {
  type: "pyroscope.write",
  kind: "exporter",
  stability: "beta",
  description:
    "Pushes profiles to Pyroscope-compatible endpoints (Connect Push and /ingest) with retries, batching and an optional spool.",
  configSchema: pyroscopeWriteConfigSchema,
  alloy: pyroscopeWriteAlloy,
  createDefaultConfig: () => ({ external_labels: {}, endpoint: [] }),
  create: (settings, config) => new PyroscopeWriteExporter(settings, config),
};
