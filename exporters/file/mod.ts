/**
 * The `file` exporter factory: writes profiles to a local directory with bounded disk use.
 *
 * @module
 */

import type { ExporterFactory } from "../../core/component.ts";
import { createDefaultFileExporterConfig, fileExporterConfigSchema } from "./config.ts";
import { FileExporter } from "./file_exporter.ts";

export { FileExporter } from "./file_exporter.ts";
export { type FileExporterConfig, fileExporterConfigSchema, parseByteSize } from "./config.ts";

/** Factory of the `file` exporter. */
export const fileExporterFactory: ExporterFactory<typeof fileExporterConfigSchema> = {
  type: "file",
  kind: "exporter",
  stability: "beta",
  description:
    "Writes profiles as gzip pprof files plus a JSON-lines index, with bounded disk use.",
  configSchema: fileExporterConfigSchema,
  createDefaultConfig: createDefaultFileExporterConfig,
  create: (settings, config) => new FileExporter(settings, config),
};
