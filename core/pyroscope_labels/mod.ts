/**
 * Pyroscope's label rules, the one place receivers, processors and exporters take them from:
 * the tenant label, the internal labels the wire keeps per item kind and `service_name`
 * inference (`rules.ts`), and the legacy ingest name `app{k=v,...}` (`ingest_name.ts`).
 *
 * @example
 * ```ts
 * import { LabelSet } from "../labels.ts";
 * import { formatIngestName, tenantOf, wireLabels, withTenant } from "./mod.ts";
 * const labels = withTenant(LabelSet.from({ __name__: "app", __address__: "a:1", env: "p" }), "t1");
 * tenantOf(labels); // "t1"
 * formatIngestName(wireLabels(labels, "ingest")); // "app{env=p}"
 * ```
 * @module
 */

export * from "./rules.ts";
export * from "./ingest_name.ts";
