/**
 * Target groups in the Prometheus service-discovery format (`file_sd`, `http_sd`):
 * `[{ "targets": ["host:port", …], "labels": { … } }]`.
 *
 * @module
 */

import type { DiscoveryHealth } from "./health.ts";

/** One group: addresses sharing labels. `source` identifies it for logs and status. */
export interface TargetGroup {
  readonly source: string;
  /** One label map per target (`__address__` set). */
  readonly targets: readonly Readonly<Record<string, string>>[];
  /** Labels of every target of the group (a target's own labels win). */
  readonly labels: Readonly<Record<string, string>>;
}

/** A discovery mechanism: pushes its full current set of groups whenever it changes. */
export interface Discoverer {
  /** Whether its last attempt worked, why not, and its target count. */
  readonly health: DiscoveryHealth;
  /** Starts discovery; `update` receives the complete set each time it changes. */
  start(update: (groups: TargetGroup[]) => void): Promise<void> | void;
  stop(): Promise<void> | void;
}

/**
 * Parses the Prometheus SD format; `where` names the file or URL in errors, `extra` labels
 * (e.g. `__meta_filepath`) are added to every group.
 */
export function parseTargetGroups(
  data: unknown,
  where: string,
  extra: Readonly<Record<string, string>> = {},
): TargetGroup[] {
  if (data === null || data === undefined) return [];
  if (!Array.isArray(data)) throw new Error(`${where}: expected a list of target groups`);
  return data.map((group, i) => {
    if (typeof group !== "object" || group === null || Array.isArray(group)) {
      throw new Error(`${where}: group ${i} must be a map with targets and labels`);
    }
    const g = group as Record<string, unknown>;
    for (const key of Object.keys(g)) {
      if (key !== "targets" && key !== "labels") {
        throw new Error(`${where}: group ${i} has unknown key ${JSON.stringify(key)}`);
      }
    }
    const targets = g.targets ?? [];
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== "string")) {
      throw new Error(`${where}: group ${i} targets must be a list of host:port strings`);
    }
    const labels: Record<string, string> = { ...extra };
    const rawLabels = g.labels ?? {};
    if (typeof rawLabels !== "object" || rawLabels === null || Array.isArray(rawLabels)) {
      throw new Error(`${where}: group ${i} labels must be a map of strings`);
    }
    for (const [k, v] of Object.entries(rawLabels)) {
      if (typeof v !== "string") {
        throw new Error(`${where}: group ${i} label ${JSON.stringify(k)} must be a string`);
      }
      labels[k] = v;
    }
    return {
      source: `${where}:${i}`,
      targets: (targets as string[]).map((address) => ({ __address__: address })),
      labels,
    };
  });
}
