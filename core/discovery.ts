/**
 * The kernel contract for target discovery shared across components. `pyroscope.scrape` owns the
 * mechanisms (static `targets`, `file_sd_configs`, `http_sd_configs`, `kubernetes_sd_configs`);
 * another component that needs discovered targets (the `enrich` processor) gets a
 * {@linkcode DiscoveryProvider} handed in by the composition root (`components.ts`), so
 * components never import each other.
 *
 * @module
 */

import type { z } from "zod";
import type { Logger } from "./telemetry/logger.ts";

/** One discovered target: its labels, group labels merged under its own. */
export type DiscoveredTarget = Readonly<Record<string, string>>;

/** A running discovery; `stop` ends every mechanism and is safe twice. */
export interface DiscoveryHandle {
  stop(): Promise<void>;
}

/** Discovery mechanisms with their config keys (Prometheus' names). */
export interface DiscoveryProvider {
  /**
   * The config keys of the mechanisms (`targets`, `file_sd_configs`, …) with their defaults, for
   * a component to spread into its own strict schema.
   */
  readonly configShape: z.ZodRawShape;
  /**
   * Starts the mechanisms configured in `config` (the parsed values of `configShape`'s keys).
   * `update` receives every target of every mechanism each time any of them changes, once all
   * have reported at least once.
   */
  start(
    config: Readonly<Record<string, unknown>>,
    context: { readonly logger: Logger; readonly userAgent: string },
    update: (targets: readonly DiscoveredTarget[]) => void,
  ): Promise<DiscoveryHandle>;
}
