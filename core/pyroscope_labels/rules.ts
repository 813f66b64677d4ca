/**
 * Pyroscope's label rules that receivers, processors and exporters must agree on, kept in one
 * place so that they cannot drift apart:
 *
 * - the tenant: one canonical label, {@linkcode TENANT_LABEL}, carries an item's tenant from
 *   whatever set it (a receiver's `tenant` block, a relabel rule) to `pyroscope.write`, which
 *   sends it as `X-Scope-OrgID`. A receiver whose `tenant.label` names another label sets that
 *   label too, as an alias for rules and the console ({@linkcode withTenant});
 * - the internal (`__*`) labels that reach the wire, per item kind ({@linkcode wireLabels});
 * - `service_name` inference from discovery metadata (`docs/spec/pyroscope-wire.md` §8.3
 *   step 5, {@linkcode inferServiceName}).
 *
 * The legacy ingest name format (`app{k=v,...}`) lives beside this file in `ingest_name.ts`.
 *
 * @example
 * ```ts
 * import { inferServiceName, tenantOf, wireLabels, withTenant } from "./rules.ts";
 * import { LabelSet } from "../labels.ts";
 * const labels = withTenant(LabelSet.from({ __name__: "cpu", __meta_docker_container_name: "db" }), "t1");
 * tenantOf(labels); // "t1"
 * inferServiceName(labels); // "db"
 * wireLabels(labels, "push").toRecord(); // { __name__: "cpu" }
 * ```
 * @module
 */

import type { Item } from "../items.ts";
import { isInternalLabel, type LabelSet } from "../labels.ts";

/**
 * The label that carries an item's tenant to `pyroscope.write`'s `X-Scope-OrgID` header. The
 * writer reads this label only, whatever a receiver's `tenant.label` says.
 */
export const TENANT_LABEL = "__tenant_id__";

/**
 * `labels` with `tenant` as the item's tenant: {@linkcode TENANT_LABEL}, and `alias` as well
 * when it names another label. An empty `tenant` removes both, so a label a client sent under
 * either name never passes as a tenant.
 */
export function withTenant(
  labels: LabelSet,
  tenant: string,
  alias: string = TENANT_LABEL,
): LabelSet {
  const canonical = labels.with(TENANT_LABEL, tenant);
  return alias === TENANT_LABEL ? canonical : canonical.with(alias, tenant);
}

/** The tenant an item is sent for, or `undefined` for the endpoint's own headers. */
export function tenantOf(labels: LabelSet): string | undefined {
  return labels.get(TENANT_LABEL);
}

/** The kinds of item, as `Item["kind"]`. */
export type ItemKind = Item["kind"];

/** The internal label that `/ingest` forwards besides `__name__`. */
export const SESSION_ID_LABEL = "__session_id__";

/**
 * The internal labels the wire keeps, per item kind: the profile type or application name,
 * `__delta__` on push (the server's delta switch), `__session_id__` on ingest (the server keeps
 * it from `name=`). Every other `__*` label is private to the pipeline.
 */
export const WIRE_INTERNAL_LABELS: Readonly<Record<ItemKind, readonly string[]>> = {
  push: ["__name__", "__delta__"],
  ingest: ["__name__", SESSION_ID_LABEL],
};

const keptOnPush = WIRE_INTERNAL_LABELS.push;
const keptOnIngest = WIRE_INTERNAL_LABELS.ingest;

function keepOnPush(name: string): boolean {
  return !isInternalLabel(name) || keptOnPush.includes(name);
}

function keepOnIngest(name: string): boolean {
  return !isInternalLabel(name) || keptOnIngest.includes(name);
}

/** `labels` as an exporter sends them for an item of `kind`: see {@linkcode WIRE_INTERNAL_LABELS}. */
export function wireLabels(labels: LabelSet, kind: ItemKind): LabelSet {
  return labels.filter(kind === "push" ? keepOnPush : keepOnIngest);
}

/** After the Kubernetes labels, the first of these that is set names the service. */
const SERVICE_NAME_SOURCES = [
  "__meta_docker_container_name",
  "__meta_dockerswarm_container_label_service_name",
  "__meta_dockerswarm_service_name",
];

/**
 * `service_name` inferred from discovery metadata, first match wins: the pod annotation
 * `pyroscope.io/service_name`; `<namespace>/<container>` when both are known; the Docker
 * container name; the Swarm container label `service_name`; the Swarm service name.
 * `undefined` when nothing names the service (the caller applies its fallback).
 */
export function inferServiceName(labels: LabelSet): string | undefined {
  const annotation = labels.get("__meta_kubernetes_pod_annotation_pyroscope_io_service_name");
  if (annotation) return annotation;
  const namespace = labels.get("__meta_kubernetes_namespace");
  const container = labels.get("__meta_kubernetes_pod_container_name");
  if (namespace && container) return `${namespace}/${container}`;
  for (const name of SERVICE_NAME_SOURCES) {
    const value = labels.get(name);
    if (value) return value;
  }
  return undefined;
}
