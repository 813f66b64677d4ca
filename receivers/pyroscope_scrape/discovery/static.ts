/**
 * Static `targets`: one group whose targets are the configured label maps.
 *
 * @module
 */

import { DiscoveryHealth } from "./health.ts";
import type { Discoverer, TargetGroup } from "./target_group.ts";

/** Discovery of the configured `targets` list (emitted once at start; never fails). */
export class StaticDiscoverer implements Discoverer {
  readonly health = new DiscoveryHealth("static");

  constructor(readonly targets: readonly Readonly<Record<string, string>>[]) {}

  start(update: (groups: TargetGroup[]) => void): void {
    this.health.succeeded(this.targets.length);
    update([{ source: "targets", targets: this.targets, labels: {} }]);
  }

  stop(): void {}
}
