/**
 * `pyroscope.scrape` from Alloy: the block's arguments as written; `targets` that lead through
 * `discovery.kubernetes` / `file` / `http` / `relabel` components fold into this receiver's
 * `kubernetes_sd_configs` / `file_sd_configs` / `http_sd_configs` / `relabel_configs`.
 *
 * @module
 */

import type { AlloyMapping } from "../../core/alloy.ts";

const inside = (what: string) => `${what} inside a pyroscope.scrape receiver here`;

/** Alloy's `pyroscope.scrape`, and the discovery components it absorbs. */
export const pyroscopeScrapeAlloy: AlloyMapping = {
  type: "pyroscope.scrape",
  absorbs: {
    "discovery.relabel": `Alloy's discovery.relabel is ${inside("relabel_configs")}`,
    "discovery.file": `Alloy's discovery.file is ${inside("file_sd_configs")}`,
    "discovery.http": `Alloy's discovery.http is ${inside("http_sd_configs")}`,
    "discovery.kubernetes": `Alloy's discovery.kubernetes is ${inside("kubernetes_sd_configs")}`,
  },
  convert(block) {
    const config = block.body(["targets", "clustering"]);
    const clustering = block.block("clustering")?.enabled === true;
    if (clustering) {
      // Peers come from the Kubernetes API (the replicas' Service), not Alloy's gossip.
      config.clustering = {
        enabled: true,
        service: "${env:PROFCOL_CLUSTER_SERVICE}",
        self_address: "${env:POD_IP}",
      };
      block.warn(
        `${block.name}: clustering finds its peers through the Kubernetes API: set ` +
          `PROFCOL_CLUSTER_SERVICE to the replicas' Service and POD_IP from the downward API ` +
          `(the Helm chart's sharded mode does)`,
        "clustering",
      );
    }
    const targets = block.targets();
    if (targets === undefined) block.warn(`${block.name} has no targets`);
    return { ...targets, ...config };
  },
};
