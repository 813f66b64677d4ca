/**
 * Per-component counters kept by the pipeline itself, so every component — built-in or user
 * module — is counted the same way. Naming scheme: `profcol_<kind>_<what>_<unit>_total`,
 * labels `component_id` and (for drops and refusals) `reason` only.
 *
 * | metric | meaning |
 * |---|---|
 * | `profcol_receiver_accepted_profiles_total`, `..._bytes_total` | requests a receiver handed in that every target queue took whole |
 * | `profcol_receiver_refused_profiles_total{reason}`, `..._bytes_total` | requests handed back to the caller whole, by the refusal's reason (`refusalReason`): `queue_full` (429), `too_large` (413), the invalid-item reason (400), `error` |
 * | `profcol_processor_dropped_profiles_total{reason}`, `..._bytes_total` | `filtered` (the processor returned null) or `processor_error` (it threw) |
 * | `profcol_exporter_enqueued_profiles_total`, `..._bytes_total` | accepted into an exporter's queue |
 * | `profcol_exporter_refused_profiles_total{reason}`, `..._bytes_total` | an exporter refused its share of a request, so the whole request was refused everywhere: `queue_full`, `spool_no_space` or `spool_write_error` (a spool the disk cannot take, 503), `too_large`, the invalid-item reason (e.g. `invalid_labels`, `max_label_names_per_series`), `error` |
 *
 * Alloy-compatible, under Alloy's name and meaning:
 *
 * | metric | meaning |
 * |---|---|
 * | `pyroscope_fanout_latency` (histogram, `component_id`) | seconds from a receiver handing a request to its pipelines until every processor ran and every target exporter took (or refused) it — Alloy's fan-out of a component to its direct and indirect `forward_to` receivers, observed per request whatever the outcome |
 *
 * @module
 */

import type { Counter, Histogram, MetricsRegistry } from "../telemetry/metrics.ts";

const ID = ["component_id"];
const ID_REASON = ["component_id", "reason"];

/** The pipeline's counters, created once per registry. */
export class PipelineMetrics {
  readonly receiverAcceptedProfiles: Counter;
  readonly receiverAcceptedBytes: Counter;
  readonly receiverRefusedProfiles: Counter;
  readonly receiverRefusedBytes: Counter;
  readonly processorDroppedProfiles: Counter;
  readonly processorDroppedBytes: Counter;
  readonly exporterEnqueuedProfiles: Counter;
  readonly exporterEnqueuedBytes: Counter;
  readonly exporterRefusedProfiles: Counter;
  readonly exporterRefusedBytes: Counter;
  /** Alloy's `pyroscope_fanout_latency`, per receiver. */
  readonly fanoutLatency: Histogram;

  constructor(registry: MetricsRegistry) {
    const c = (name: string, help: string, labels = ID) => registry.counter(name, help, labels);
    this.receiverAcceptedProfiles = c(
      "profcol_receiver_accepted_profiles_total",
      "Profiles a receiver handed to its pipelines and every target queue accepted.",
    );
    this.receiverAcceptedBytes = c(
      "profcol_receiver_accepted_bytes_total",
      "Payload bytes of accepted profiles.",
    );
    this.receiverRefusedProfiles = c(
      "profcol_receiver_refused_profiles_total",
      "Profiles handed back to the caller, by refusal reason (queue_full, too_large, ...).",
      ID_REASON,
    );
    this.receiverRefusedBytes = c(
      "profcol_receiver_refused_bytes_total",
      "Payload bytes of refused profiles, by reason.",
      ID_REASON,
    );
    this.processorDroppedProfiles = c(
      "profcol_processor_dropped_profiles_total",
      "Profiles a processor dropped, by reason (filtered, processor_error).",
      ID_REASON,
    );
    this.processorDroppedBytes = c(
      "profcol_processor_dropped_bytes_total",
      "Payload bytes of profiles a processor dropped, by reason.",
      ID_REASON,
    );
    this.exporterEnqueuedProfiles = c(
      "profcol_exporter_enqueued_profiles_total",
      "Profiles accepted into an exporter's queue.",
    );
    this.exporterEnqueuedBytes = c(
      "profcol_exporter_enqueued_bytes_total",
      "Payload bytes accepted into an exporter's queue.",
    );
    this.exporterRefusedProfiles = c(
      "profcol_exporter_refused_profiles_total",
      "Profiles an exporter refused to reserve (so no target took them), by reason.",
      ID_REASON,
    );
    this.exporterRefusedBytes = c(
      "profcol_exporter_refused_bytes_total",
      "Payload bytes an exporter refused, by reason.",
      ID_REASON,
    );
    this.fanoutLatency = registry.histogram(
      "pyroscope_fanout_latency",
      "Write latency for sending to direct and indirect components.",
      ID,
      // Alloy registers it without buckets: the Prometheus client's defaults.
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }
}
