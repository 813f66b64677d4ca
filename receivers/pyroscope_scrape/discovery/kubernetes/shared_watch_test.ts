/**
 * Two discoverers with the same `kubernetes_sd_configs` entry share one list+watch (as two
 * scrapes sharing an Alloy `discovery.kubernetes` do), each still gets every change; another
 * selector is another watch; the watch ends with its last user.
 */

import { assertEquals } from "../../../../tests/support/assert.ts";
import { podObject, startKubeApi } from "../../../../tests/support/kube_api.ts";
import { Logger } from "../../../../core/telemetry/logger.ts";
import { kubernetesSdConfigSchema } from "./config.ts";
import { KubernetesDiscoverer } from "./kubernetes_sd.ts";
import { sharedWatchCount } from "./shared_watch.ts";
import type { TargetGroup } from "../target_group.ts";

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const addresses = (groups: TargetGroup[]) =>
  groups.flatMap((g) => g.targets.map((t) => t.__address__ ?? "")).sort();

Deno.test("kubernetes_sd: identical configs share one watch; each user sees every change", async () => {
  const kube = startKubeApi();
  kube.apply("pods", podObject({ namespace: "shop", name: "a", ip: "127.0.0.2" }));
  const make = (config: Record<string, unknown>) => {
    const seen: { groups: TargetGroup[] } = { groups: [] };
    const d = new KubernetesDiscoverer(
      kubernetesSdConfigSchema.parse({ role: "pod", api_server: kube.url, ...config }),
      new Logger({ write: () => {} }),
      "profcol/test",
      { backoff: { initialMs: 20, maxMs: 100 } },
    );
    d.start((groups) => seen.groups = groups);
    return { d, seen };
  };
  const before = sharedWatchCount();
  const first = make({});
  const second = make({});
  const other = make({ selectors: [{ role: "pod", label: "app=b" }] });
  try {
    await until(() => addresses(first.seen.groups).length === 1, "first discoverer's pod");
    await until(() => addresses(second.seen.groups).length === 1, "second discoverer's pod");
    // One list of pods for the two identical entries, one for the other selector.
    assertEquals(sharedWatchCount() - before, 2);
    assertEquals(kube.lists("pods"), 2);
    kube.apply("pods", podObject({ namespace: "shop", name: "b", ip: "127.0.0.3" }));
    await until(() => addresses(second.seen.groups).length === 2, "the new pod, second user");
    assertEquals(addresses(first.seen.groups), addresses(second.seen.groups));
    // The first user leaves: the watch goes on for the second.
    await first.d.stop();
    kube.apply("pods", podObject({ namespace: "shop", name: "c", ip: "127.0.0.4" }));
    await until(() => addresses(second.seen.groups).length === 3, "a pod after the first left");
    assertEquals(sharedWatchCount() - before, 2);
    await second.d.stop();
    await other.d.stop();
    assertEquals(sharedWatchCount(), before, "the last user ends the watch");
  } finally {
    await first.d.stop();
    await second.d.stop();
    await other.d.stop();
    await kube.close();
  }
});
