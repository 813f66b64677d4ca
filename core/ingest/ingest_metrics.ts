/**
 * The metrics every ingest receiver has, under its own prefix (e.g. `profcol_receive_http`,
 * `profcol_otlp_receiver`), labelled by component id plus route, status and reason (all
 * bounded) — never by tenant, service or client. Profiles accepted are the pipeline's
 * `profcol_receiver_accepted_profiles_total` (counted once, for every receiver), not here.
 *
 * @module
 */

import type { MetricsRegistry } from "../telemetry/metrics.ts";

/** The metric handles of one ingest receiver. */
export class IngestMetrics {
  readonly #id: string;
  readonly #requests;
  readonly #bytes;
  readonly #inFlight;
  readonly #refused;

  /** `prefix` names the metrics (`<prefix>_requests_total`, …), `who` the help texts. */
  constructor(registry: MetricsRegistry, prefix: string, who: string, componentId: string) {
    this.#id = componentId;
    this.#requests = registry.counter(
      `${prefix}_requests_total`,
      `HTTP requests answered by ${who}, by route and status code.`,
      ["component_id", "route", "status"],
    );
    this.#bytes = registry.counter(
      `${prefix}_received_bytes_total`,
      `Request body bytes received by ${who} (as sent, before decompression).`,
      ["component_id", "route"],
    );
    this.#inFlight = registry.gauge(
      `${prefix}_requests_in_flight`,
      `Requests ${who} is handling right now.`,
      ["component_id"],
    );
    this.#refused = registry.counter(
      `${prefix}_refused_requests_total`,
      `Requests refused by ${who}, by reason.`,
      ["component_id", "reason"],
    );
    this.#inFlight.set({ component_id: componentId }, 0);
  }

  request(route: string, status: number): void {
    this.#requests.inc({ component_id: this.#id, route, status: String(status) });
  }

  bytes(route: string, amount: number): void {
    this.#bytes.inc({ component_id: this.#id, route }, amount);
  }

  inFlight(delta: number): void {
    this.#inFlight.add({ component_id: this.#id }, delta);
  }

  refused(reason: string): void {
    this.#refused.inc({ component_id: this.#id, reason });
  }
}
