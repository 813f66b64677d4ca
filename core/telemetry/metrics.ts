/**
 * A small Prometheus metrics registry: counters, gauges and histograms with label values,
 * rendered in the Prometheus text exposition format. Label values are component ids,
 * endpoint names, routes, reasons — never targets or services (bounded cardinality).
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "./metrics.ts";
 * const registry = new MetricsRegistry();
 * const dropped = registry.counter("profcol_dropped_total", "Items dropped.", ["component_id", "reason"]);
 * dropped.inc({ component_id: "pyroscope.write/a", reason: "queue_full" });
 * registry.render().includes('reason="queue_full"'); // true
 * ```
 * @module
 */

/** Label values for one series of a metric. */
export type MetricLabels = Readonly<Record<string, string>>;

type Kind = "counter" | "gauge" | "histogram";

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly labelNames: readonly string[];
  /** Set by the registry for Alloy-named families (see {@linkcode isAlloyFamily}). */
  alloyForm: boolean;
  render(lines: string[]): void;
  /** Removes every series whose labels include all of `match`. */
  removeMatching(match: MetricLabels): void;
}

function seriesKey(labelNames: readonly string[], labels: MetricLabels | undefined): string {
  if (labelNames.length === 0) return "";
  let key = "";
  for (const name of labelNames) key += (labels?.[name] ?? "") + "\xff";
  return key;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/**
 * Alloy's form of a component id, as Alloy's registry labels its components' metrics:
 * `pyroscope.write/cloud` is `pyroscope.write.cloud` (Alloy writes `pyroscope.write "cloud"`), and
 * an unnamed `pyroscope.write` is `pyroscope.write.default` (the label Alloy's converters give).
 */
export function alloyComponentId(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? `${id}.default` : `${id.slice(0, slash)}.${id.slice(slash + 1)}`;
}

/**
 * Families named as Alloy names them (`pyroscope_*`), which Alloy's dashboards and alerts query:
 * their `component_id` is rendered in Alloy's form and a `component_path` (`/`, the root module:
 * profcol has no modules) is added, so those queries match as they are. profcol's own families
 * keep profcol's ids.
 */
export function isAlloyFamily(name: string): boolean {
  return name.startsWith("pyroscope_");
}

function formatLabels(
  labelNames: readonly string[],
  labels: MetricLabels | undefined,
  extra?: string,
  alloyForm = false,
): string {
  const parts: string[] = [];
  for (const name of labelNames) {
    const value = labels?.[name] ?? "";
    if (alloyForm && name === "component_id") {
      parts.push(`component_id="${escapeLabelValue(alloyComponentId(value))}"`);
      parts.push(`component_path="/"`);
    } else {
      parts.push(`${name}="${escapeLabelValue(value)}"`);
    }
  }
  if (extra) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** A monotonically increasing counter; may be read on demand with {@linkcode Counter.collect}. */
export class Counter implements Metric {
  readonly kind = "counter" as const;
  alloyForm = false;
  readonly #series = new Map<string, { labels: MetricLabels | undefined; value: number }>();
  readonly #collectors = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** Adds `amount` (default 1) to the series named by `labels`. */
  inc(labels?: MetricLabels, amount = 1): void {
    const key = seriesKey(this.labelNames, labels);
    const series = this.#series.get(key);
    if (series) series.value += amount;
    else this.#series.set(key, { labels, value: amount });
  }

  /** The current value of a series (0 when never incremented). */
  get(labels?: MetricLabels): number {
    return this.#series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }

  /**
   * Sets a series to a total read from elsewhere (e.g. the kernel's CPU time); only for a
   * collector (see {@linkcode Counter.collect}) whose source never goes down.
   */
  setTotal(labels: MetricLabels | undefined, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    const series = this.#series.get(key);
    if (series) series.value = value;
    else this.#series.set(key, { labels, value });
  }

  /** Registers a callback run before each render to refresh totals; returns an unregister. */
  collect(collector: () => void): () => void {
    this.#collectors.add(collector);
    return () => this.#collectors.delete(collector);
  }

  /** Drops every series whose labels match all of `match` (e.g. a removed component). */
  removeMatching(match: MetricLabels): void {
    for (const [key, series] of this.#series) {
      if (Object.entries(match).every(([k, v]) => series.labels?.[k] === v)) {
        this.#series.delete(key);
      }
    }
  }

  /** The sum over every series whose labels match all of `match` (e.g. all reasons). */
  sumMatching(match: MetricLabels): number {
    let total = 0;
    for (const series of this.#series.values()) {
      if (Object.entries(match).every(([k, v]) => series.labels?.[k] === v)) {
        total += series.value;
      }
    }
    return total;
  }

  render(lines: string[]): void {
    for (const collector of this.#collectors) collector();
    for (const series of this.#series.values()) {
      lines.push(
        `${this.name}${formatLabels(this.labelNames, series.labels, undefined, this.alloyForm)} ${
          formatNumber(series.value)
        }`,
      );
    }
  }
}

/** A value that goes up and down; may be computed on demand with {@linkcode Gauge.collect}. */
export class Gauge implements Metric {
  readonly kind = "gauge" as const;
  alloyForm = false;
  readonly #series = new Map<string, { labels: MetricLabels | undefined; value: number }>();
  readonly #collectors = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** Sets the series named by `labels` to `value`. */
  set(labels: MetricLabels | undefined, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    const series = this.#series.get(key);
    if (series) series.value = value;
    else this.#series.set(key, { labels, value });
  }

  /** Adds `amount` (may be negative). */
  add(labels: MetricLabels | undefined, amount: number): void {
    const key = seriesKey(this.labelNames, labels);
    const series = this.#series.get(key);
    if (series) series.value += amount;
    else this.#series.set(key, { labels, value: amount });
  }

  /** The current value of a series (0 when never set). */
  get(labels?: MetricLabels): number {
    return this.#series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }

  /** Registers a callback run before each render to refresh values; returns an unregister. */
  collect(collector: () => void): () => void {
    this.#collectors.add(collector);
    return () => this.#collectors.delete(collector);
  }

  /** Drops every series whose labels match all of `match`. */
  removeMatching(match: MetricLabels): void {
    for (const [key, series] of this.#series) {
      if (Object.entries(match).every(([k, v]) => series.labels?.[k] === v)) {
        this.#series.delete(key);
      }
    }
  }

  render(lines: string[]): void {
    for (const collector of this.#collectors) collector();
    for (const series of this.#series.values()) {
      lines.push(
        `${this.name}${formatLabels(this.labelNames, series.labels, undefined, this.alloyForm)} ${
          formatNumber(series.value)
        }`,
      );
    }
  }
}

/** Default buckets in seconds, suited to network latencies. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** A cumulative histogram. */
export class Histogram implements Metric {
  readonly kind = "histogram" as const;
  alloyForm = false;
  readonly #series = new Map<
    string,
    { labels: MetricLabels | undefined; counts: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {}

  /** Records one observation. */
  observe(labels: MetricLabels | undefined, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]!) series.counts[i]!++;
    }
    series.sum += value;
    series.count++;
  }

  /** Drops every series whose labels match all of `match` (e.g. a removed endpoint). */
  removeMatching(match: MetricLabels): void {
    for (const [key, series] of this.#series) {
      if (Object.entries(match).every(([k, v]) => series.labels?.[k] === v)) {
        this.#series.delete(key);
      }
    }
  }

  /** Number of observations of a series. */
  count(labels?: MetricLabels): number {
    return this.#series.get(seriesKey(this.labelNames, labels))?.count ?? 0;
  }

  render(lines: string[]): void {
    for (const series of this.#series.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        const le = `le="${formatNumber(this.buckets[i]!)}"`;
        lines.push(
          `${this.name}_bucket${formatLabels(this.labelNames, series.labels, le, this.alloyForm)} ${
            series.counts[i]
          }`,
        );
      }
      lines.push(
        `${this.name}_bucket${
          formatLabels(this.labelNames, series.labels, 'le="+Inf"', this.alloyForm)
        } ${series.count}`,
      );
      lines.push(
        `${this.name}_sum${
          formatLabels(this.labelNames, series.labels, undefined, this.alloyForm)
        } ${series.sum}`,
      );
      lines.push(
        `${this.name}_count${
          formatLabels(this.labelNames, series.labels, undefined, this.alloyForm)
        } ${series.count}`,
      );
    }
  }
}

/**
 * Holds every metric of the process. Asking twice for the same name returns the same metric,
 * so components created again on reload keep counting in the same series.
 */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  /** Gets or creates a counter. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#getOrCreate(name, "counter", () => new Counter(name, help, labelNames)) as Counter;
  }

  /** Gets or creates a gauge. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#getOrCreate(name, "gauge", () => new Gauge(name, help, labelNames)) as Gauge;
  }

  /** Gets or creates a histogram. */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets?: readonly number[],
  ): Histogram {
    return this.#getOrCreate(
      name,
      "histogram",
      () => new Histogram(name, help, labelNames, buckets),
    ) as Histogram;
  }

  #getOrCreate(name: string, kind: Kind, create: () => Metric): Metric {
    const existing = this.#metrics.get(name);
    if (existing) {
      if (existing.kind !== kind) {
        throw new Error(
          `Metric ${name} is already registered as a ${existing.kind}, not a ${kind}`,
        );
      }
      return existing;
    }
    const metric = create();
    metric.alloyForm = isAlloyFamily(name);
    this.#metrics.set(name, metric);
    return metric;
  }

  /**
   * Removes every series, in every metric, whose labels include all of `match` — e.g. the
   * series of a component a reload removed, so `/metrics` does not keep them forever.
   */
  removeSeries(match: MetricLabels): void {
    for (const metric of this.#metrics.values()) {
      if (Object.keys(match).every((name) => metric.labelNames.includes(name))) {
        metric.removeMatching(match);
      }
    }
  }

  /** The whole registry in Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) {
      lines.push(`# HELP ${metric.name} ${metric.help}`);
      lines.push(`# TYPE ${metric.name} ${metric.kind}`);
      metric.render(lines);
    }
    return lines.join("\n") + "\n";
  }
}
