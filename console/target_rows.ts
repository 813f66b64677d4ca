/**
 * The targets page's rows: one per scrape target (its profile types merged), with each type's
 * health, the last scrape, the first error, the labels a person reads (no `__` labels), the
 * types its pprof index lists, and a link to the newest kept profile's flame graph.
 *
 * @module
 */

import type { TargetStatus } from "../core/status.ts";
import type { TargetRow, TargetType } from "./pages.ts";
import { type ProfileStore, seriesId } from "./profile_store.ts";

/** The published targets, one row per target (its profile types merged). */
export function targetRows(
  entries: readonly TargetStatus[],
  store: ProfileStore,
): TargetRow[] {
  const rows = new Map<string, {
    row: Omit<TargetRow, "types" | "health" | "flame">;
    types: TargetType[];
    latest: [string, number];
    newestProfile: [string, string] | undefined;
  }>();
  for (const entry of entries) {
    const component = entry.component_id;
    const labels = entry.labels;
    const url = entry.url;
    let address = url;
    try {
      const parsed = new URL(url);
      address = `${parsed.protocol === "https:" ? "https://" : ""}${parsed.host}`;
    } catch {
      // not a URL: shown as it is
    }
    const publicLabels = Object.fromEntries(
      Object.entries(labels).filter(([k]) => !k.startsWith("__")).sort(([a], [b]) =>
        a < b ? -1 : 1
      ),
    );
    const key = `${component}\0${address}\0${JSON.stringify(publicLabels)}`;
    const type = entry.profile_type;
    const series = type ? seriesId(component, labels) : undefined;
    const kept = series ? store.info(series) : undefined;
    let group = rows.get(key);
    if (group === undefined) {
      group = {
        row: {
          key,
          component,
          job: entry.job,
          address,
          lastScrape: null,
          lastDurationSeconds: null,
          lastError: "",
          labels: publicLabels,
        },
        types: [],
        latest: ["", 0],
        newestProfile: undefined,
      };
      rows.set(key, group);
    }
    const lastError = entry.last_error;
    const health = entry.health;
    if (type) {
      group.types.push({
        name: type,
        health,
        lastError,
        ...(kept ? { series: series! } : {}),
      });
    } else group.types.push({ name: health, health, lastError });
    if (kept && (!group.newestProfile || kept.last > group.newestProfile[0])) {
      group.newestProfile = [kept.last, series!];
    }
    const last = entry.last_scrape ?? "";
    if (last && last > group.latest[0]) {
      group.latest = [last, entry.last_scrape_duration_seconds];
    }
    if (entry.served_types !== undefined && group.row.served === undefined) {
      group.row = {
        ...group.row,
        served: entry.served_types,
        ...(entry.probe_error ? { probeError: entry.probe_error } : {}),
      };
    }
    if (lastError && !group.row.lastError) {
      group.row = { ...group.row, lastError: type ? `${type}: ${lastError}` : lastError };
    }
  }
  return [...rows.values()].map(({ row, types, latest, newestProfile }) => {
    const down = types.filter((t) => t.health === "down").length;
    const up = types.filter((t) => t.health === "up").length;
    const health = down === 0 && up === types.length && up > 0
      ? "up"
      : down === types.length && down > 0
      ? "down"
      : down > 0
      ? "degraded"
      : "unknown";
    return {
      ...row,
      health,
      types,
      lastScrape: latest[0] || null,
      lastDurationSeconds: latest[0] ? latest[1] : null,
      ...(newestProfile ? { flame: newestProfile[1] } : {}),
    };
  }).sort((a, b) =>
    a.component < b.component ? -1 : a.component > b.component ? 1 : a.address < b.address ? -1 : 1
  );
}
