/**
 * The relabel processor in process, on the 5-rule chain: cached (a working set of 1,000
 * label sets, as a fleet of targets repeats) and uncached (every label set new, cache off).
 */

import type { Item } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { createForTest, testSettings } from "../../core/testing/conformance.ts";
import { relabelProcessorFactory } from "../../processors/relabel/mod.ts";
import type { Processor } from "../../core/component.ts";
import { round } from "../lib.ts";
import { FIVE_RULES } from "./rules.ts";

function items(count: number, offset: number): Item[] {
  const raw = new Uint8Array([0x1f, 0x8b]);
  return Array.from({ length: count }, (_, i) => ({
    kind: "push" as const,
    labels: LabelSet.from({
      __name__: ["process_cpu", "memory", "goroutine"][i % 3]!,
      service_name: `svc-${(i + offset) % 5000}-svc`,
      env: i % 10 === 0 ? "dev" : "prod",
      namespace: `ns-${i % 20}`,
      pod: `pod-${i + offset}`,
      tmp_build: String(i),
    }),
    samples: [{ rawProfile: raw }],
  }));
}

function measure(processor: Processor, make: (round: number) => Item[], ms: number) {
  let done = 0;
  const started = performance.now();
  for (let r = 0; performance.now() - started < ms; r++) {
    const batch = make(r);
    for (const item of batch) processor.process(item);
    done += batch.length;
  }
  return done / ((performance.now() - started) / 1000);
}

export function relabelScenario(quick: boolean) {
  const ms = quick ? 1500 : 5000;
  const create = (cache: number) =>
    createForTest(
      relabelProcessorFactory,
      { rule: FIVE_RULES, max_cache_size: cache },
      testSettings("relabel/bench"),
    ) as Processor;
  const cachedProcessor = create(10_000);
  const working = items(1000, 0);
  const cached = measure(cachedProcessor, () => working, ms);
  const uncachedProcessor = create(0);
  // Build label sets outside the timed loop so only relabeling is measured.
  const pool = Array.from({ length: 20 }, (_, r) => items(5000, r * 5000));
  const uncached = measure(uncachedProcessor, (r) => pool[r % pool.length]!, ms);
  return {
    relabel_items_per_s: round(cached, 0),
    relabel_uncached_items_per_s: round(uncached, 0),
  };
}
