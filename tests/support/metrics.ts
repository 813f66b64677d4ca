/**
 * Reading `/metrics` in tests by parsing the exposition, never by substring: `x_total 2` is a
 * prefix of `x_total 20`, and a label order is no part of a series' identity.
 *
 * @example
 * ```ts
 * import { metricValue } from "./metrics.ts";
 * const text = 'x_total{component_id="a",reason="r"} 20\nx_total{component_id="b",reason="r"} 1\n';
 * metricValue(text, "x_total", { component_id: "a" }); // 20 (series that match, summed)
 * metricValue(text, "y_total"); // undefined (no such series)
 * ```
 * @module
 */

/** One sample line of the Prometheus text format. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of `text` (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a metric sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, name, raw] of (match[2] ?? "").matchAll(LABEL)) {
      labels[name!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const value = match[3] === "+Inf"
      ? Infinity
      : match[3] === "-Inf"
      ? -Infinity
      : Number(match[3]);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/**
 * The value of the series `name` whose labels include all of `labels` (summed when several
 * match), or `undefined` when none does.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  let total: number | undefined;
  for (const sample of parseMetrics(text)) {
    if (sample.name !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) continue;
    total = (total ?? 0) + sample.value;
  }
  return total;
}
