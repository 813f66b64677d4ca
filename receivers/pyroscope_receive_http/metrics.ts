/**
 * Metrics of `pyroscope.receive_http`, labelled by component id only (plus route, status and
 * reason, all bounded) — never by tenant, service or client.
 *
 * @module
 */

import type { MetricsRegistry } from "../../core/telemetry/metrics.ts";

/** Route label values. */
export type Route = "ingest" | "push" | "debuginfo" | "other";

/** The receiver's metric handles, bound to one component id. */
export class ReceiveHttpMetrics {
  readonly #id: string;
  readonly #requests;
  readonly #bytes;
  readonly #profiles;
  readonly #inFlight;
  readonly #rejected;

  constructor(registry: MetricsRegistry, componentId: string) {
    this.#id = componentId;
    this.#requests = registry.counter(
      "profcol_receive_http_requests_total",
      "HTTP requests answered by pyroscope.receive_http, by route and status code.",
      ["component_id", "route", "status"],
    );
    this.#bytes = registry.counter(
      "profcol_receive_http_received_bytes_total",
      "Request body bytes received by pyroscope.receive_http (as sent, before decompression).",
      ["component_id", "route"],
    );
    this.#profiles = registry.counter(
      "profcol_receive_http_accepted_profiles_total",
      "Profiles accepted into the pipeline by pyroscope.receive_http.",
      ["component_id", "route"],
    );
    this.#inFlight = registry.gauge(
      "profcol_receive_http_requests_in_flight",
      "Requests pyroscope.receive_http is handling right now.",
      ["component_id"],
    );
    this.#rejected = registry.counter(
      "profcol_receive_http_rejected_requests_total",
      "Requests refused by pyroscope.receive_http, by reason.",
      ["component_id", "reason"],
    );
    this.#inFlight.set({ component_id: componentId }, 0);
  }

  request(route: Route, status: number): void {
    this.#requests.inc({ component_id: this.#id, route, status: String(status) });
  }

  bytes(route: Route, amount: number): void {
    this.#bytes.inc({ component_id: this.#id, route }, amount);
  }

  accepted(route: Route, profiles: number): void {
    this.#profiles.inc({ component_id: this.#id, route }, profiles);
  }

  inFlight(delta: number): void {
    this.#inFlight.add({ component_id: this.#id }, delta);
  }

  rejected(reason: string): void {
    this.#rejected.inc({ component_id: this.#id, reason });
  }
}
