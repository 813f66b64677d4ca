/**
 * A deterministic CPU profile whose samples carry the labels tracing integrations add
 * (`span_id`, `trace_id`), a label name a strict Pyroscope refuses (`thread-name`), a
 * low-cardinality `endpoint` and a numeric `bytes` label: the input of the `sample_labels`
 * tests, interop test and bench.
 *
 * @module
 */

import { emptyProfile, encodeProfile } from "../../../pprof/profile.ts";

/** Size knobs of {@linkcode tracedProfile}. */
export interface TracedProfileOptions {
  /** Distinct stacks (each 8 frames deep over a pool of functions). */
  readonly stacks: number;
  /** Spans; each sample is in one span of one trace (4 spans per trace). */
  readonly spans: number;
  /** Samples (stack × span combinations, cycling). */
  readonly samples: number;
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/**
 * Encodes the profile (uncompressed). Sample `i` has stack `i % stacks`, span `i % spans`,
 * value `[1, 10_000_000]` (samples, nanoseconds) and labels `span_id`, `trace_id`,
 * `endpoint` (one of 4), `thread-name` (one of 2) and numeric `bytes` = 64.
 */
export function tracedProfile(options: TracedProfileOptions): Uint8Array {
  const p = emptyProfile();
  const strings = new Map<string, number>([["", 0]]);
  const s = (value: string): number => {
    let index = strings.get(value);
    if (index === undefined) {
      index = p.stringTable.length;
      p.stringTable.push(value);
      strings.set(value, index);
    }
    return index;
  };
  p.sampleType.push({ type: s("samples"), unit: s("count") });
  p.sampleType.push({ type: s("cpu"), unit: s("nanoseconds") });
  p.periodType = { type: s("cpu"), unit: s("nanoseconds") };
  p.period = 10_000_000;
  p.timeNanos = 1_700_000_000_000_000_000;
  p.durationNanos = 10_000_000_000;
  p.mapping.push({
    id: 1,
    memoryStart: 0x400000,
    memoryLimit: 0x800000,
    fileOffset: 0,
    filename: s("/usr/local/bin/shop"),
    buildId: s("5a1f00d"),
    hasFunctions: true,
    hasFilenames: true,
    hasLineNumbers: true,
    hasInlineFrames: false,
  });
  const functions = Math.max(8, options.stacks);
  for (let f = 1; f <= functions; f++) {
    const name = s(`shop/internal/handlers.(*Service${f % 17}).Handle${f}`);
    p.function.push({
      id: f,
      name,
      systemName: name,
      filename: s(`shop/internal/handlers/service_${f % 17}.go`),
      startLine: f,
    });
    p.location.push({
      id: f,
      mappingId: 1,
      address: 0x400000 + f * 16,
      line: [{ functionId: f, line: 10 + f, column: 0 }],
      isFolded: false,
    });
  }
  const span = s("span_id");
  const trace = s("trace_id");
  const endpoint = s("endpoint");
  const thread = s("thread-name");
  const bytes = s("bytes");
  for (let i = 0; i < options.samples; i++) {
    const stack = i % options.stacks;
    const spanIndex = i % options.spans;
    const locationId: number[] = [];
    for (let depth = 0; depth < 8; depth++) locationId.push(((stack + depth * 7) % functions) + 1);
    p.sample.push({
      locationId,
      value: [1, 10_000_000],
      // Sorted by key, as Go's runtime writes them.
      label: [
        { key: bytes, str: 0, num: 64, numUnit: s("bytes") },
        { key: endpoint, str: s(`/api/v1/items/${stack % 4}`), num: 0, numUnit: 0 },
        { key: span, str: s(hex(spanIndex * 2654435761 + 1, 16)), num: 0, numUnit: 0 },
        { key: thread, str: s(`worker-${i % 2}`), num: 0, numUnit: 0 },
        { key: trace, str: s(hex(Math.floor(spanIndex / 4) + 1, 32)), num: 0, numUnit: 0 },
      ],
    });
  }
  return encodeProfile(p);
}
