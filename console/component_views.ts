/**
 * The console's model of components: each component's health as the graph colours it (ok,
 * degraded, failing, unknown) with the reason, from the service status and what components
 * publish (endpoints, targets, discoveries); and its pipeline counters. Alloy's controller
 * metric (`alloy_component_controller_running_components`) counts the same health.
 *
 * @module
 */

import type { ServiceStatus } from "../core/service/service.ts";
import type { MetricsRegistry } from "../core/telemetry/metrics.ts";
import type { ComponentView, Health } from "./pages.ts";

/** One view per component id (processors of several pipelines merged). */
export function componentViews(status: ServiceStatus): Map<string, ComponentView> {
  const views = new Map<string, ComponentView>();
  const exporters = status.published.exporters ?? [];
  const targets = status.published.targets ?? [];
  const discoveries = status.published.discovery ?? [];
  for (const c of status.components) {
    const old = views.get(c.id);
    const pipelines = [...(old?.pipelines ?? []), ...(c.pipeline ? [c.pipeline] : [])];
    if (!c.pipeline) {
      for (const p of status.pipelines) {
        if (p.receivers.includes(c.id) || p.exporters.includes(c.id)) pipelines.push(p.name);
      }
    }
    const state = old && old.state !== "running" ? old.state : c.state;
    const error = old?.error ?? c.error;
    let health: Health = "ok";
    let reason: string | undefined;
    if (state === "failed") [health, reason] = ["failing", error ?? "failed"];
    else if (state !== "running") [health, reason] = ["unknown", state];
    else if (c.kind === "exporter") {
      const endpoints = exporters.filter((x) => x.id === c.id).flatMap((x) => x.endpoints);
      const failing = endpoints.filter((ep) => ep.health === "failing").length;
      const paused = endpoints.filter((ep) => ep.health === "paused").length;
      if (endpoints.length > 0 && failing === endpoints.length) {
        [health, reason] = ["failing", `every endpoint failing`];
      } else if (failing + paused > 0) {
        [health, reason] = [
          "degraded",
          `${failing} failing, ${paused} paused of ${endpoints.length} endpoints`,
        ];
      }
    } else if (c.kind === "receiver") {
      const mine = targets.filter((t) => t.component_id === c.id);
      const down = mine.filter((t) => t.health === "down").length;
      if (mine.length > 0 && down === mine.length) {
        [health, reason] = ["failing", "every target down"];
      } else if (down > 0) {
        [health, reason] = ["degraded", `${down} of ${mine.length} scrapes down`];
      }
      // A failing discovery (API unreachable, 401/403, unreadable file) keeps the last
      // targets or none: degraded at least, with its error as the reason.
      const failedDiscovery = discoveries.filter((d) =>
        d.component_id === c.id && d.health === "down"
      );
      if (failedDiscovery.length > 0) {
        const first = failedDiscovery[0]!;
        const why = `${first.mechanism} discovery failing: ${first.last_error}`;
        if (health === "ok") health = "degraded";
        reason = reason === undefined ? why : `${reason}; ${why}`;
      }
    }
    views.set(c.id, {
      id: c.id,
      kind: c.kind,
      type: c.type,
      pipelines: [...new Set(pipelines)],
      state,
      health,
      ...(reason === undefined ? {} : { reason }),
      ...(error === undefined ? {} : { error }),
    });
  }
  return views;
}

/** Pipeline counters of a component (monotonic; the page computes rates). */
export function componentCounters(
  m: MetricsRegistry,
  id: string,
  kind: string,
): Record<string, number> {
  const sel = { component_id: id };
  const c = (name: string) => m.counter(name, "", ["component_id"]).get(sel);
  const sum = (name: string) => m.counter(name, "", ["component_id", "reason"]).sumMatching(sel);
  if (kind === "receiver") {
    return {
      profiles: c("profcol_receiver_accepted_profiles_total"),
      bytes: c("profcol_receiver_accepted_bytes_total"),
      refused: sum("profcol_receiver_refused_profiles_total"),
    };
  }
  if (kind === "processor") {
    return {
      dropped: sum("profcol_processor_dropped_profiles_total"),
      dropped_bytes: sum("profcol_processor_dropped_bytes_total"),
    };
  }
  return {
    profiles: c("profcol_exporter_enqueued_profiles_total"),
    bytes: c("profcol_exporter_enqueued_bytes_total"),
    refused: sum("profcol_exporter_refused_profiles_total"),
  };
}
