/**
 * The `sample_labels` processor in process: MB/s of decompressed pprof through the span-dropping
 * rule (`labeldrop span_id|trace_id`) on a ~500 KB profile of 5,000 samples with five labels
 * each, 4,000 distinct spans. The cache is off, as for a stream of new span ids (every label set
 * is new): the rewrite alone (`rewriteSampleLabels` on plain bytes), and a push item of the
 * gzipped profile through `process` (gunzip + rewrite + gzip). Single-threaded, inline.
 */

import process from "node:process";
import type { PushItem } from "../../core/items.ts";
import { LabelSet } from "../../core/labels.ts";
import { createForTest, testSettings } from "../../core/testing/conformance.ts";
import type { Processor } from "../../core/component.ts";
import { compileRelabelRules } from "../../core/relabel/mod.ts";
import {
  createSampleRules,
  rewriteSampleLabels,
  sampleLabelsProcessorFactory,
} from "../../processors/sample_labels/mod.ts";
import { tracedProfile } from "../../processors/sample_labels/testdata/traced_profile.ts";
import { gzip } from "../../pprof/gzip.ts";
import { round } from "../lib.ts";

const RULES = [{ regex: "span_id|trace_id", action: "labeldrop" }];

/**
 * Decompressed MB per second of running `step` (one profile of `bytes`) for `ms`: per second of
 * wall time, and per second of this process's CPU time (steadier on a shared machine).
 */
function mbPerSecond(bytes: number, ms: number, step: () => void): [number, number] {
  for (let i = 0; i < 3; i++) step(); // warm up the JIT
  let done = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < ms) {
    step();
    done++;
  }
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const mb = (done * bytes) / 1e6;
  return [mb / wall, mb / ((used.user + used.system) / 1e6)];
}

export async function sampleLabelsScenario(quick: boolean) {
  const ms = quick ? 1500 : 4000;
  const profile = tracedProfile({ stacks: 600, spans: 4000, samples: 5000 });
  const rules = createSampleRules(compileRelabelRules(RULES), 0);
  const rewrite = mbPerSecond(profile.length, ms, () => rewriteSampleLabels(profile, rules));
  const processor = createForTest(
    sampleLabelsProcessorFactory,
    { rule: RULES, max_cache_size: 0 },
    testSettings("sample_labels/bench"),
  ) as Processor;
  const item: PushItem = {
    kind: "push",
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "shop" }),
    samples: [{ rawProfile: gzip(profile) }],
  };
  const gzipped = mbPerSecond(profile.length, ms, () => processor.process(item));
  await processor.shutdown();
  return {
    sample_labels_profile_kb: round(profile.length / 1024, 0),
    sample_labels_mb_per_s: round(rewrite[0], 1),
    sample_labels_mb_per_cpu_s: round(rewrite[1], 1),
    sample_labels_gzip_mb_per_s: round(gzipped[0], 1),
    sample_labels_gzip_mb_per_cpu_s: round(gzipped[1], 1),
  };
}
