/**
 * The `otlp` receiver factory: OpenTelemetry profiles (OTLP/HTTP, protobuf or JSON) at
 * `/v1development/profiles`, converted to pprof push items.
 *
 * @module
 */

import type { ReceiverFactory } from "../../core/component.ts";
import { createDefaultOtlpReceiverConfig, otlpReceiverConfigSchema } from "./config.ts";
import { OtlpReceiver } from "./otlp.ts";

export { type OtlpReceiverConfig, otlpReceiverConfigSchema } from "./config.ts";
export { OtlpReceiver } from "./otlp.ts";

/** Factory of `otlp`. */
export const otlpReceiverFactory: ReceiverFactory<typeof otlpReceiverConfigSchema> = {
  type: "otlp",
  kind: "receiver",
  stability: "alpha",
  description:
    "Receives OpenTelemetry profiles (OTLP/HTTP, v1development) and forwards them as pprof.",
  configSchema: otlpReceiverConfigSchema,
  createDefaultConfig: createDefaultOtlpReceiverConfig,
  create: (settings, config, next) => new OtlpReceiver(settings, config, next),
};
