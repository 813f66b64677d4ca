/**
 * The scraper's metrics, one series set per component id (never per target or service).
 *
 * @module
 */

import type { Counter, Gauge, Histogram, MetricsRegistry } from "../../core/telemetry/metrics.ts";

/** Metric handles shared by every loop of one scrape component. */
export interface ScrapeMetrics {
  readonly up: Gauge;
  readonly targets: Gauge;
  readonly duration: Histogram;
  readonly errors: Counter;
  readonly bytes: Counter;
  readonly profiles: Counter;
  readonly missedTicks: Counter;
  readonly skippedTicks: Counter;
  readonly deltaStateBytes: Gauge;
  readonly serviceNameFallbacks: Counter;
  readonly discoveryUp: Gauge;
  readonly discoveryTargets: Gauge;
  readonly discoveryErrors: Counter;
}

/** Registers (or finds, after a reload) the scraper's metrics. */
export function scrapeMetrics(registry: MetricsRegistry): ScrapeMetrics {
  return {
    up: registry.gauge(
      "profcol_scrape_targets_up",
      "Scrape loops (target × profile type) whose last scrape succeeded, per job.",
      ["component_id", "job"],
    ),
    targets: registry.gauge(
      "profcol_scrape_targets",
      "Active scrape loops (target × profile type), per job.",
      ["component_id", "job"],
    ),
    duration: registry.histogram(
      "profcol_scrape_duration_seconds",
      "Duration of scrapes (request, validation and delta).",
      ["component_id"],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60],
    ),
    errors: registry.counter(
      "profcol_scrape_errors_total",
      "Failed scrapes and dropped scraped profiles, by reason.",
      ["component_id", "reason"],
    ),
    bytes: registry.counter(
      "profcol_scrape_bytes_total",
      "Bytes of profile bodies scraped (before delta).",
      ["component_id"],
    ),
    profiles: registry.counter(
      "profcol_scrape_profiles_total",
      "Profiles forwarded downstream by the scraper.",
      ["component_id"],
    ),
    missedTicks: registry.counter(
      "profcol_scrape_missed_ticks_total",
      "Scrape ticks skipped because the previous scrape of the loop was still running.",
      ["component_id"],
    ),
    skippedTicks: registry.counter(
      "profcol_scrape_skipped_ticks_total",
      "Scrape ticks skipped because the collector was behind schedule (its own delay, never " +
        "the target's), by reason: late, worker_backlog, stalled_timeout, worker_failed.",
      ["component_id", "reason"],
    ),
    deltaStateBytes: registry.gauge(
      "profcol_delta_state_bytes",
      "Bytes of client-side delta state held in memory across all loops (service.delta_memory).",
      ["component_id"],
    ),
    serviceNameFallbacks: registry.counter(
      "profcol_scrape_service_name_fallbacks_total",
      "Scrape targets that got service_name_fallback because nothing named the service.",
      ["component_id"],
    ),
    discoveryUp: registry.gauge(
      "profcol_discovery_up",
      "1 while every discovery entry of the mechanism works, 0 while one fails or has not " +
        "answered yet.",
      ["component_id", "mechanism"],
    ),
    discoveryTargets: registry.gauge(
      "profcol_discovery_targets",
      "Targets the mechanism currently discovers (before relabeling and sharding).",
      ["component_id", "mechanism"],
    ),
    discoveryErrors: registry.counter(
      "profcol_discovery_errors_total",
      "Failed discovery attempts (list, watch, fetch or file read), by reason: unauthorized, " +
        "forbidden, http_status, unreachable, timeout, invalid_response, read, config.",
      ["component_id", "mechanism", "reason"],
    ),
  };
}
