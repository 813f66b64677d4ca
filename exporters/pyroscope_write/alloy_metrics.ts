/**
 * Alloy's `pyroscope.write` metrics, next to profcol's own: every time the delivery queue
 * counts a request's profiles as sent or dropped, a retry, or a request's duration in a
 * `profcol_exporter_*` metric, the Alloy metric of the same meaning is counted too (same event,
 * same amount). Labels are Alloy's: `endpoint` (the endpoint's `name`, or its URL without
 * credentials) and `component_id`, which Alloy's registry adds; profcol's `reason` and `kind`
 * labels have no Alloy counterpart and are summed away.
 *
 * | Alloy metric | type | profcol event |
 * |---|---|---|
 * | `pyroscope_write_sent_bytes_total` | counter | `profcol_exporter_sent_bytes_total`: raw (gzip pprof) bytes delivered |
 * | `pyroscope_write_sent_profiles_total` | counter | `profcol_exporter_sent_profiles_total` |
 * | `pyroscope_write_dropped_bytes_total` | counter | `profcol_exporter_dropped_bytes_total`, every reason |
 * | `pyroscope_write_dropped_profiles_total` | counter | `profcol_exporter_dropped_profiles_total`, every reason |
 * | `pyroscope_write_retries_total` | counter | `profcol_exporter_retries_total`, every reason |
 * | `pyroscope_write_latency{type}` | histogram | `profcol_exporter_request_duration_seconds`: one request, `type` `push_downstream` or `ingest_downstream` |
 *
 * Alloy's `push_total`/`push_endpoint` (and `ingest_…`) latency types time a caller waiting
 * for the endpoints; in profcol the caller waits only for the queue (admission), so there is no
 * such latency and those types are not produced.
 *
 * @module
 */

import type { DeliveryMetrics } from "../../core/delivery/delivery_metrics.ts";
import {
  Counter,
  Histogram,
  type MetricLabels,
  type MetricsRegistry,
} from "../../core/telemetry/metrics.ts";

const LABELS = ["component_id", "endpoint"];

/** Alloy registers its latency histogram without buckets: the Prometheus client's defaults. */
const PROMETHEUS_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const alloyLabels = (labels: MetricLabels | undefined): MetricLabels => ({
  component_id: labels?.component_id ?? "",
  endpoint: labels?.endpoint ?? "",
});

/** Counts in `own` (the registered profcol counter) and in `alloy`; never rendered itself. */
class TeeCounter extends Counter {
  constructor(private readonly own: Counter, private readonly alloy: Counter) {
    super(own.name, own.help, own.labelNames);
  }
  override inc(labels?: MetricLabels, amount = 1): void {
    this.own.inc(labels, amount);
    this.alloy.inc(alloyLabels(labels), amount);
  }
  override get(labels?: MetricLabels): number {
    return this.own.get(labels);
  }
  override removeMatching(match: MetricLabels): void {
    this.own.removeMatching(match);
    this.alloy.removeMatching(match);
  }
}

/** Observes in `own` and in Alloy's `pyroscope_write_latency` (type `<kind>_downstream`). */
class TeeLatency extends Histogram {
  constructor(private readonly own: Histogram, private readonly alloy: Histogram) {
    super(own.name, own.help, own.labelNames, own.buckets);
  }
  override observe(labels: MetricLabels | undefined, value: number): void {
    this.own.observe(labels, value);
    this.alloy.observe({ ...alloyLabels(labels), type: `${labels?.kind}_downstream` }, value);
  }
  override count(labels?: MetricLabels): number {
    return this.own.count(labels);
  }
  override removeMatching(match: MetricLabels): void {
    this.own.removeMatching(match);
    this.alloy.removeMatching(match);
  }
}

/** `metrics` with Alloy's `pyroscope_write_*` metrics counted alongside. */
export function withAlloyWriteMetrics(
  metrics: DeliveryMetrics,
  registry: MetricsRegistry,
): DeliveryMetrics {
  const counter = (name: string, help: string) => registry.counter(name, help, LABELS);
  return {
    ...metrics,
    sentBytes: new TeeCounter(
      metrics.sentBytes,
      counter(
        "pyroscope_write_sent_bytes_total",
        "Total number of compressed bytes sent to Pyroscope.",
      ),
    ),
    sentProfiles: new TeeCounter(
      metrics.sentProfiles,
      counter("pyroscope_write_sent_profiles_total", "Total number of profiles sent to Pyroscope."),
    ),
    droppedBytes: new TeeCounter(
      metrics.droppedBytes,
      counter(
        "pyroscope_write_dropped_bytes_total",
        "Total number of compressed bytes dropped by Pyroscope.",
      ),
    ),
    droppedProfiles: new TeeCounter(
      metrics.droppedProfiles,
      counter(
        "pyroscope_write_dropped_profiles_total",
        "Total number of profiles dropped by Pyroscope.",
      ),
    ),
    retries: new TeeCounter(
      metrics.retries,
      counter("pyroscope_write_retries_total", "Total number of retries to Pyroscope."),
    ),
    latency: new TeeLatency(
      metrics.latency,
      registry.histogram(
        "pyroscope_write_latency",
        "Write latency for sending profiles to Pyroscope endpoints.",
        [...LABELS, "type"],
        PROMETHEUS_DEFAULT_BUCKETS,
      ),
    ),
  };
}
