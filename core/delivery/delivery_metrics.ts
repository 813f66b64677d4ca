/**
 * Self-metrics of every delivery queue, labelled by component id and endpoint (the endpoint's
 * `name`, or its URL without credentials) — never by target or service.
 *
 * @module
 */

import type { Counter, Gauge, Histogram, MetricsRegistry } from "../telemetry/metrics.ts";

/** The metric objects a {@linkcode DeliveryQueue} updates. */
export interface DeliveryMetrics {
  sentProfiles: Counter;
  sentBytes: Counter;
  droppedProfiles: Counter;
  droppedBytes: Counter;
  retries: Counter;
  requests: Counter;
  queueProfiles: Gauge;
  queueBytes: Gauge;
  spoolBytes: Gauge;
  latency: Histogram;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Gets (or creates, once per process) the delivery metrics. */
export function deliveryMetrics(registry: MetricsRegistry): DeliveryMetrics {
  const base = ["component_id", "endpoint"];
  return {
    sentProfiles: registry.counter(
      "profcol_exporter_sent_profiles_total",
      "Profiles delivered to an endpoint.",
      base,
    ),
    sentBytes: registry.counter(
      "profcol_exporter_sent_bytes_total",
      "Payload bytes delivered to an endpoint (raw profiles or ingest bodies).",
      base,
    ),
    droppedProfiles: registry.counter(
      "profcol_exporter_dropped_profiles_total",
      "Accepted profiles given up on, by reason.",
      [...base, "reason"],
    ),
    droppedBytes: registry.counter(
      "profcol_exporter_dropped_bytes_total",
      "Payload bytes of accepted profiles given up on, by reason.",
      [...base, "reason"],
    ),
    retries: registry.counter(
      "profcol_exporter_retries_total",
      "Failed attempts that will be tried again, by reason.",
      [...base, "reason"],
    ),
    requests: registry.counter(
      "profcol_exporter_requests_total",
      "Requests sent to an endpoint, by outcome (ok, retry, drop).",
      [...base, "outcome"],
    ),
    queueProfiles: registry.gauge(
      "profcol_exporter_queue_profiles",
      "Profiles waiting for delivery (including in flight).",
      base,
    ),
    queueBytes: registry.gauge(
      "profcol_exporter_queue_bytes",
      "Payload bytes waiting for delivery (including in flight).",
      base,
    ),
    spoolBytes: registry.gauge(
      "profcol_exporter_spool_bytes",
      "Bytes of the on-disk spool.",
      base,
    ),
    latency: registry.histogram(
      "profcol_exporter_request_duration_seconds",
      "Duration of one request to an endpoint, by kind (push, ingest).",
      [...base, "kind"],
      LATENCY_BUCKETS,
    ),
  };
}
