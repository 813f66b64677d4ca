/**
 * Interop: what the `sample_labels` processor writes is read by `go tool pprof -raw` (Go's own
 * pprof parser) with the rewritten labels, the samples merged as expected and unchanged totals
 * per sample type, and the locations and mappings exactly as before.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { LabelSet } from "../../core/labels.ts";
import type { PushItem } from "../../core/items.ts";
import { testSettings } from "../../core/testing/conformance.ts";
import { sampleLabelsProcessorFactory } from "../../processors/sample_labels/mod.ts";
import { tracedProfile } from "../../processors/sample_labels/testdata/traced_profile.ts";
import { gzip } from "../../pprof/gzip.ts";

const ignore = skipUnlessPeer("go", "go tool pprof reads the rewritten profiles");

/** One sample of `go tool pprof -raw`: values, location ids, labels (`name` → `[value]`). */
interface RawSample {
  readonly values: number[];
  readonly stack: string;
  readonly labels: Record<string, string>;
}

/** The samples, and the `Locations`/`Mappings` lines, of `go tool pprof -raw` output. */
function parseRaw(text: string): { samples: RawSample[]; rest: string[] } {
  const lines = text.split("\n");
  const from = lines.indexOf("Samples:") + 2;
  const to = lines.indexOf("Locations");
  assert(from > 1 && to > from, text);
  const samples: { values: number[]; stack: string; labels: Record<string, string> }[] = [];
  for (const line of lines.slice(from, to)) {
    const value = /^\s+(-?\d+(?:\s+-?\d+)*):\s*([\d ]*?)\s*$/.exec(line);
    if (value) {
      samples.push({ values: value[1]!.split(/\s+/).map(Number), stack: value[2]!, labels: {} });
      continue;
    }
    for (const match of line.matchAll(/(\S+?):\[([^\]]*)\]/g)) {
      samples.at(-1)!.labels[match[1]!] = match[2]!;
    }
  }
  return { samples, rest: lines.slice(to) };
}

function totals(samples: readonly RawSample[]): number[] {
  const sums: number[] = [];
  for (const s of samples) s.values.forEach((v, i) => sums[i] = (sums[i] ?? 0) + v);
  return sums;
}

/** Samples grouped by stack and labels with values summed, in a stable order. */
function merged(samples: readonly RawSample[]): RawSample[] {
  const groups = new Map<string, RawSample>();
  for (const s of samples) {
    const labels = Object.fromEntries(Object.entries(s.labels).sort());
    const key = JSON.stringify([s.stack, labels]);
    const group = groups.get(key);
    if (group) s.values.forEach((v, i) => group.values[i]! += v);
    else groups.set(key, { values: [...s.values], stack: s.stack, labels });
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
}

Deno.test({
  name: "interop: go tool pprof -raw reads sample_labels' output with new labels, same totals",
  ignore,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "profcol-sample-labels-" });
    try {
      const config = sampleLabelsProcessorFactory.configSchema.parse({
        rule: [
          { regex: "span_id|trace_id", action: "labeldrop" },
          { source_labels: ["endpoint"], target_label: "http.route" },
          { regex: "endpoint", action: "labeldrop" },
          { regex: "(.*)[^A-Za-z0-9_.](.*)", action: "labelmap", replacement: "${1}_${2}" },
          { regex: ".*[^A-Za-z0-9_.].*", action: "labeldrop" },
        ],
      });
      const processor = sampleLabelsProcessorFactory.create(testSettings("sample_labels"), config);
      const input = gzip(tracedProfile({ stacks: 6, spans: 24, samples: 48 }));
      const item: PushItem = {
        kind: "push",
        labels: LabelSet.from({ __name__: "process_cpu", service_name: "shop" }),
        samples: [{ rawProfile: input }],
      };
      const out = (await processor.process(item)) as PushItem;
      await Deno.writeFile(join(directory, "in.pb.gz"), input);
      await Deno.writeFile(join(directory, "out.pb.gz"), out.samples[0]!.rawProfile);
      const before = parseRaw(await goToolPprofRaw(join(directory, "in.pb.gz")));
      const after = parseRaw(await goToolPprofRaw(join(directory, "out.pb.gz")));

      assertEquals(before.samples.length, 48);
      assertEquals(totals(after.samples), totals(before.samples));
      assertEquals(totals(after.samples), [48, 480_000_000]);
      // What the rules should make of each input sample, merged by stack and labels.
      const expected = merged(before.samples.map((s) => ({
        values: s.values,
        stack: s.stack,
        labels: {
          bytes: s.labels.bytes!,
          "http.route": s.labels.endpoint!,
          thread_name: s.labels["thread-name"]!,
        },
      })));
      assertEquals(merged(after.samples), expected);
      assertEquals(after.samples.length, expected.length);
      assertEquals(after.samples.length, 6);
      assertEquals(after.rest, before.rest);
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});
