/**
 * Static `targets`: one group whose targets are the configured label maps.
 *
 * @module
 */

import type { Discoverer, TargetGroup } from "./target_group.ts";

/** Discovery of the configured `targets` list (emitted once at start). */
export class StaticDiscoverer implements Discoverer {
  constructor(readonly targets: readonly Readonly<Record<string, string>>[]) {}

  start(update: (groups: TargetGroup[]) => void): void {
    update([{ source: "targets", targets: this.targets, labels: {} }]);
  }

  stop(): void {}
}
