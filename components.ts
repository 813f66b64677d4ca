/**
 * The built-in component factories. `main.ts build` generates a variant of this file that
 * also lists user modules. Only this file knows the full list.
 *
 * @module
 */

import type { Factory } from "./core/component.ts";
import { fileExporterFactory } from "./exporters/file/mod.ts";
import { pyroscopeWriteExporterFactory } from "./exporters/pyroscope_write/mod.ts";
import { dropInternalLabelsProcessorFactory } from "./processors/drop_internal_labels/mod.ts";
import { enrichProcessorFactory } from "./processors/enrich/mod.ts";
import { moduleProcessorFactory } from "./processors/module/mod.ts";
import { relabelProcessorFactory } from "./processors/relabel/mod.ts";
import { sampleLabelsProcessorFactory } from "./processors/sample_labels/mod.ts";
import { serviceNameProcessorFactory } from "./processors/service_name/mod.ts";
import { pyroscopeReceiveHttpReceiverFactory } from "./receivers/pyroscope_receive_http/mod.ts";
import {
  pyroscopeScrapeReceiverFactory,
  scrapeDiscovery,
} from "./receivers/pyroscope_scrape/mod.ts";
import { otlpReceiverFactory } from "./receivers/otlp/mod.ts";

/** Every built-in factory. */
export const builtinFactories: readonly Factory[] = [
  pyroscopeScrapeReceiverFactory,
  pyroscopeReceiveHttpReceiverFactory,
  otlpReceiverFactory,
  fileExporterFactory,
  pyroscopeWriteExporterFactory,
  relabelProcessorFactory,
  sampleLabelsProcessorFactory,
  serviceNameProcessorFactory,
  dropInternalLabelsProcessorFactory,
  // The composition root hands pyroscope.scrape's discovery to enrich (core/discovery.ts).
  enrichProcessorFactory(scrapeDiscovery),
  moduleProcessorFactory,
];
