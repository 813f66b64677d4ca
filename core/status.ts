/**
 * The status contracts between components and the admin server: what a component publishes
 * with `host.registerStatus(name, provider)` under each name, typed here in the kernel so the
 * console, `/api/v1/status`, `/api/v1/targets` and `/status` read fields they know exist
 * instead of guessing them from `unknown`.
 *
 * | name | published by | one value |
 * |---|---|---|
 * | `targets` | `pyroscope.scrape` (one per target and profile type) | {@linkcode TargetStatus} |
 * | `discovery` | `pyroscope.scrape` (one per Kubernetes discoverer) | {@linkcode DiscoveryStatus} |
 * | `exporters` | `pyroscope.write` (one per exporter, its endpoints inside) | {@linkcode ExporterStatus} |
 *
 * A new kind of status is a new entry of {@linkcode PublishedStatus}.
 *
 * @example
 * ```ts
 * import type { Host } from "./component.ts";
 * import type { DiscoveryStatus } from "./status.ts";
 * function publish(host: Host, status: () => DiscoveryStatus[]): () => void {
 *   return host.registerStatus("discovery", status);
 * }
 * ```
 * @module
 */

/** Health of a scrape target or a discovery mechanism. */
export type TargetHealth = "unknown" | "up" | "down";

/** One scrape target and profile type (an entry of `/api/v1/targets`). */
export interface TargetStatus {
  readonly component_id: string;
  readonly job: string;
  /** The URL scraped (credentials removed). */
  readonly url: string;
  /** `process_cpu`, `memory`, …; empty when the target is not per profile type. */
  readonly profile_type: string;
  readonly health: TargetHealth;
  readonly last_error: string;
  /** ISO time of the last scrape, or `null` before the first. */
  readonly last_scrape: string | null;
  readonly last_scrape_duration_seconds: number;
  /** The target's labels after relabeling (those its profiles carry). */
  readonly labels: Readonly<Record<string, string>>;
  /** The labels discovery gave it, before relabeling. */
  readonly discovered_labels: Readonly<Record<string, string>>;
  readonly delta_state_bytes: number;
  readonly missed_ticks: number;
  /** Ticks skipped because the collector itself was behind (never the target's failure). */
  readonly skipped_ticks?: number;
  /**
   * With `profiling_config.probe_index`: the profile names the target's `/debug/pprof/` index
   * lists (sorted), or `null` when the index could not be read (every enabled type is scraped;
   * `probe_error` says why). Absent without the probe.
   */
  readonly served_types?: readonly string[] | null;
  /** Why the pprof index could not be read (with `probe_index`). */
  readonly probe_error?: string;
}

/** One discovery mechanism (Kubernetes today), shown above the targets. */
export interface DiscoveryStatus {
  readonly component_id: string;
  /** e.g. `kubernetes_sd`. */
  readonly mechanism: string;
  readonly role: string;
  readonly api_server: string;
  readonly health: TargetHealth;
  readonly last_error: string;
  /** Targets it currently yields. */
  readonly targets: number;
}

/** Health of an exporter endpoint: `failing` after a failed attempt, `paused` by Retry-After. */
export type EndpointHealth = "ok" | "failing" | "paused";

/**
 * One endpoint of an exporter and its queue. Figures an exporter does not keep are left out
 * (or `null`); the component page shows them in this order.
 */
export interface EndpointStatus {
  /** The endpoint as named in metrics and logs (no credentials). */
  readonly endpoint: string;
  readonly health: EndpointHealth;
  readonly failing_since?: string | null;
  readonly paused_until?: string | null;
  readonly consecutive_failures?: number;
  readonly last_error?: string | null;
  readonly queued_profiles?: number;
  readonly queued_bytes?: number;
  readonly spool_bytes?: number | null;
  readonly in_flight_requests?: number;
  readonly last_success?: string | null;
}

/** The figures of an {@linkcode EndpointStatus} in the order a page shows them. */
export const ENDPOINT_FIGURES: readonly (keyof EndpointStatus)[] = [
  "endpoint",
  "health",
  "failing_since",
  "paused_until",
  "consecutive_failures",
  "last_error",
  "queued_profiles",
  "queued_bytes",
  "spool_bytes",
  "in_flight_requests",
  "last_success",
];

/** An exporter with endpoints. */
export interface ExporterStatus {
  /** The exporter's component id. */
  readonly id: string;
  readonly endpoints: readonly EndpointStatus[];
}

/** Every status name and the type of one value published under it. */
export interface PublishedStatus {
  readonly targets: TargetStatus;
  readonly discovery: DiscoveryStatus;
  readonly exporters: ExporterStatus;
}

/** A name components can publish under. */
export type StatusName = keyof PublishedStatus;

/** A provider: called on demand (must be cheap); one value or a list. */
export type StatusProvider<Name extends StatusName> = () =>
  | PublishedStatus[Name]
  | readonly PublishedStatus[Name][];
