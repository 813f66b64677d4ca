/**
 * The `pyroscope.receive_http` receiver factory: a Pyroscope-compatible ingest gateway
 * (`POST /ingest`, Connect `Push`) with limits, backpressure, inbound auth and tenants.
 *
 * @module
 */

import type { ReceiverFactory } from "../../core/component.ts";
import { createDefaultReceiveHttpConfig, receiveHttpConfigSchema } from "./config.ts";
import { ReceiveHttpReceiver } from "./receive_http.ts";
import { pyroscopeReceiveHttpAlloy } from "./alloy.ts";

export { type ReceiveHttpConfig, receiveHttpConfigSchema } from "./config.ts";
export { ReceiveHttpReceiver } from "./receive_http.ts";

/** Factory of `pyroscope.receive_http`. */
export const pyroscopeReceiveHttpReceiverFactory: ReceiverFactory<
  typeof receiveHttpConfigSchema
> = {
  type: "pyroscope.receive_http",
  kind: "receiver",
  stability: "beta",
  description:
    "Receives profiles over the Pyroscope ingest API (/ingest, Connect Push) and forwards them.",
  configSchema: receiveHttpConfigSchema,
  alloy: pyroscopeReceiveHttpAlloy,
  createDefaultConfig: createDefaultReceiveHttpConfig,
  create: (settings, config, next) => new ReceiveHttpReceiver(settings, config, next),
};
