/**
 * A collector in this process, for integration tests that need its metrics registry or its
 * speed: loads `text` as its only config file, starts it, and returns the URL its receiver
 * logged.
 *
 * @module
 */

import { builtinFactories } from "../../components.ts";
import { Registry } from "../../core/registry.ts";
import { Collector } from "../../core/service/collector.ts";
import { Logger } from "../../core/telemetry/logger.ts";
import type { MetricsRegistry } from "../../core/telemetry/metrics.ts";
import { assert } from "./assert.ts";

/** Starts a collector with `text`; `url` is the first receiver's (from its log line). */
export async function startInProcess(
  text: string,
  options: { metrics?: MetricsRegistry } = {},
): Promise<{ collector: Collector; url: string }> {
  let url = "";
  const collector = new Collector({
    configFiles: ["in_process.yaml"],
    registry: new Registry(builtinFactories),
    version: "test",
    metrics: options.metrics,
    logger: new Logger({
      write: (line) => {
        const match = /receiving profiles.*url=(http:\/\/[\d.]+:\d+)/.exec(line);
        if (match) url = match[1]!;
      },
    }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  assert(url !== "", "the receiver logged its URL");
  return { collector, url };
}

/** Resolves once `check()` holds; rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
