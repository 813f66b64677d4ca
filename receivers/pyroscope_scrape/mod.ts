/**
 * The `pyroscope.scrape` receiver factory: pprof scraping with discovery, target relabeling,
 * client-side deltas and sharding.
 *
 * @module
 */

import type { ReceiverFactory } from "../../core/component.ts";
import { createDefaultScrapeConfig, scrapeConfigSchema } from "./config.ts";
import { ScrapeReceiver } from "./scrape_receiver.ts";
import { pyroscopeScrapeAlloy } from "./alloy.ts";

export { type ScrapeConfig, scrapeConfigSchema } from "./config.ts";
export { ScrapeReceiver } from "./scrape_receiver.ts";
export { scrapeDiscovery } from "./discovery/provider.ts";
export type { TargetStatus } from "./scrape_loop.ts";

/** Factory of `pyroscope.scrape`. */
export const pyroscopeScrapeReceiverFactory: ReceiverFactory<typeof scrapeConfigSchema> = {
  type: "pyroscope.scrape",
  kind: "receiver",
  stability: "beta",
  description:
    "Scrapes pprof endpoints (static, file_sd, http_sd targets) with client-side deltas and sharding.",
  configSchema: scrapeConfigSchema,
  alloy: pyroscopeScrapeAlloy,
  createDefaultConfig: createDefaultScrapeConfig,
  create: (settings, config, next) => new ScrapeReceiver(settings, config, next),
};
