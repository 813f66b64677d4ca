/**
 * `pyroscope.scrape`'s discovery mechanisms behind the kernel contract
 * ({@linkcode DiscoveryProvider} in `core/discovery.ts`), so that other components (the `enrich`
 * processor) discover targets the same way, with the same keys, without importing this one.
 *
 * @module
 */

import { z } from "zod";
import type {
  DiscoveredTarget,
  DiscoveryHandle,
  DiscoveryProvider,
} from "../../../core/discovery.ts";
import { fileSdConfigSchema, httpSdConfigSchema, targetListSchema } from "../config.ts";
import { FileDiscoverer } from "./file_sd.ts";
import { HttpDiscoverer } from "./http_sd.ts";
import { kubernetesSdConfigSchema } from "./kubernetes/config.ts";
import { KubernetesDiscoverer } from "./kubernetes/kubernetes_sd.ts";
import { StaticDiscoverer } from "./static.ts";
import type { Discoverer, TargetGroup } from "./target_group.ts";

const shape = {
  targets: targetListSchema,
  file_sd_configs: z.array(fileSdConfigSchema).default([]),
  http_sd_configs: z.array(httpSdConfigSchema).default([]),
  kubernetes_sd_configs: z.array(kubernetesSdConfigSchema).default([]),
};
const discoveryConfigSchema = z.object(shape);
type DiscoveryConfig = z.output<typeof discoveryConfigSchema>;

/** The scrape receiver's discovery, for other components. */
export const scrapeDiscovery: DiscoveryProvider = {
  configShape: shape,
  async start(config, { logger, userAgent }, update): Promise<DiscoveryHandle> {
    const c = config as DiscoveryConfig;
    const discoverers: Discoverer[] = [new StaticDiscoverer(c.targets)];
    for (const fileSd of c.file_sd_configs) {
      discoverers.push(new FileDiscoverer(fileSd, logger.child({ discovery: "file_sd" })));
    }
    for (const httpSd of c.http_sd_configs) {
      discoverers.push(
        new HttpDiscoverer(httpSd, logger.child({ discovery: "http_sd" }), userAgent),
      );
    }
    for (const k8s of c.kubernetes_sd_configs) {
      discoverers.push(
        new KubernetesDiscoverer(
          k8s,
          logger.child({ discovery: "kubernetes_sd", role: k8s.role }),
          userAgent,
        ),
      );
    }
    const groups = new Map<number, TargetGroup[]>();
    let stopped = false;
    const publish = () => {
      if (stopped || groups.size < discoverers.length) return;
      const targets: DiscoveredTarget[] = [];
      for (let i = 0; i < discoverers.length; i++) {
        for (const group of groups.get(i)!) {
          for (const target of group.targets) targets.push({ ...group.labels, ...target });
        }
      }
      update(targets);
    };
    await Promise.all(discoverers.map((d, i) =>
      d.start((g) => {
        groups.set(i, g);
        publish();
      })
    ));
    return {
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all(discoverers.map((d) => d.stop()));
      },
    };
  },
};
