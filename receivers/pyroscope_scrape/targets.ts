/**
 * Discovered target → scrape targets, one per enabled profile type (docs/spec/pyroscope-wire.md §8.3 and §8.4):
 * profile labels, `job`, `__scheme__`, `__param_*`, default ports, `instance`, `service_name`
 * inference, the URL, the `seconds` rule and the timeout extension.
 *
 * Unlike Alloy, `params` is never mutated (each target gets its own query map), and a bad
 * target drops only itself, not its whole group.
 *
 * @module
 */

import { parseComponentId } from "../../core/component.ts";
import type { LabelSet } from "../../core/labels.ts";
import { inferServiceName } from "../../core/pyroscope_labels/mod.ts";
import { relabel, type RelabelRule } from "../../core/relabel/mod.ts";
import { inShard, type ShardingConfig } from "./sharding.ts";
import { effectiveDeltaDuration, type ScrapeConfig } from "./config.ts";
import { CLIENT_DELTA_TYPES, type ProfileType, resolveProfiles } from "./profiles.ts";
import { addressPort, buildScrapeUrl } from "./url.ts";

/** One loop's worth of work: a target for one profile type. */
export interface ScrapeTarget {
  /** Labels including private ones (`__address__`, `__meta_*`, …). */
  readonly labels: LabelSet;
  /** Labels before target relabeling, for the status page. */
  readonly discoveredLabels: LabelSet;
  readonly url: string;
  /** Final `__name__`; `godeltaprof_*` types keep that name, as Alloy sends them. */
  readonly profileType: string;
  /** Whether the client-side delta applies (memory/block/mutex, not godeltaprof). */
  readonly clientDelta: boolean;
  /** Effective HTTP timeout: `scrape_timeout`, plus `scrape_interval − 1s` with `seconds`. */
  readonly timeoutMs: number;
  /** Identity: public labels + URL; equal keys keep their running loop. */
  readonly key: string;
  /** Whether `service_name` fell back to the configured default. */
  readonly serviceNameFallback: boolean;
}

/** Inputs of {@linkcode buildScrapeTargets} that do not change per target. */
export interface TargetBuildContext {
  readonly config: ScrapeConfig;
  readonly componentId: string;
  /** Cached `resolveProfiles(config.profiling_config)`. */
  readonly profiles?: readonly ProfileType[];
  /** Target relabel rules, applied once per profile type (default: none). */
  readonly rules?: readonly RelabelRule[];
  /** Keep only this instance's shard (after relabeling). */
  readonly sharding?: ShardingConfig;
}

function setIfEmpty(labels: LabelSet, name: string, value: string): LabelSet {
  return labels.get(name) ? labels : labels.with(name, value);
}

/** Why a target could not be turned into scrape targets. */
export class TargetError extends Error {
  override readonly name = "TargetError";
}

/**
 * Builds the scrape targets of one discovered target (`base`: merged group and target labels).
 * For each enabled profile type, `__name__`, `__profile_path__` (and `__profile_path_prefix__`)
 * are set when absent, then `ctx.rules` run on that set, so rules can keep or drop single
 * types and change their port, scheme or path; then sharding. Throws {@linkcode TargetError}
 * naming the label at fault.
 */
export function buildScrapeTargets(
  base: LabelSet,
  discovered: LabelSet,
  ctx: TargetBuildContext,
): ScrapeTarget[] {
  const { config } = ctx;
  const profiles = ctx.profiles ?? resolveProfiles(config.profiling_config);
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const out = new Map<string, ScrapeTarget>();
  for (const profile of profiles) {
    if (!profile.enabled) continue;
    const defaults = (labels: LabelSet) => {
      let lb = setIfEmpty(labels, "__profile_path__", profile.path);
      lb = setIfEmpty(lb, "__name__", profile.name);
      const prefix = config.profiling_config.path_prefix;
      if (prefix) lb = setIfEmpty(lb, "__profile_path_prefix__", prefix);
      return lb;
    };
    let lb: LabelSet | null = defaults(base);
    if (ctx.rules && ctx.rules.length > 0) {
      lb = relabel(lb, ctx.rules);
      if (lb === null) continue;
      lb = defaults(lb); // a rule that deleted them gets the type's defaults back
    }
    if (!inShard(lb, ctx.sharding)) continue;
    const target = populate(lb, lb, discovered, config, ctx.componentId, byName);
    if (!out.has(target.key)) out.set(target.key, target);
  }
  return [...out.values()];
}

/**
 * The `job` label a target gets when neither it nor `job_name` sets one: Alloy's component id,
 * `pyroscope.scrape.<name>` (`pyroscope.scrape/local` → `pyroscope.scrape.local`), or
 * `pyroscope.scrape` for a component without a name.
 */
export function defaultJobName(componentId: string): string {
  const { type, name } = parseComponentId(componentId);
  return name === undefined ? type : `${type}.${name}`;
}

function populate(
  input: LabelSet,
  base: LabelSet,
  discovered: LabelSet,
  config: ScrapeConfig,
  componentId: string,
  byName: ReadonlyMap<string, ProfileType>,
): ScrapeTarget {
  let lb = input;
  if (!lb.get("job")) lb = lb.with("job", config.job_name || defaultJobName(componentId));
  if (!lb.get("__scheme__")) lb = lb.with("__scheme__", config.scheme);
  for (const [k, values] of Object.entries(config.params)) {
    if (values[0] !== undefined) lb = lb.with(`__param_${k}`, values[0]);
  }
  let address = lb.get("__address__");
  if (!address) throw new TargetError("target has no __address__ label");
  const scheme = lb.get("__scheme__")!;
  if (addressPort(address) === "addable") {
    if (scheme === "http") address += ":80";
    else if (scheme === "https") address += ":443";
    else throw new TargetError(`invalid __scheme__ ${JSON.stringify(scheme)}: use http or https`);
    lb = lb.with("__address__", address);
  } else if (scheme !== "http" && scheme !== "https") {
    throw new TargetError(`invalid __scheme__ ${JSON.stringify(scheme)}: use http or https`);
  }
  if (address.includes("/")) {
    throw new TargetError(
      `__address__ ${JSON.stringify(address)} must be host:port, without a path`,
    );
  }
  if (!lb.get("instance")) lb = lb.with("instance", address);
  let serviceNameFallback = false;
  if (!lb.get("service_name")) {
    const inferred = inferServiceName(base);
    if (inferred === undefined) serviceNameFallback = true;
    const value = inferred ?? config.service_name_fallback;
    if (value) lb = lb.with("service_name", value);
  }
  for (let i = 0; i < lb.size; i++) {
    if (!lb.values[i]!.isWellFormed() || !lb.names[i]!.isWellFormed()) {
      throw new TargetError(`label ${JSON.stringify(lb.names[i])} is not valid UTF-8`);
    }
  }

  // The query: a fresh copy of the config params per target (Alloy's shared-map bug fixed).
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(config.params)) params[k] = [...v];
  let hasSeconds = false;
  const rawName = lb.get("__name__")!;
  if (byName.get(rawName)?.delta) {
    (params.seconds ??= []).push(String(effectiveDeltaDuration(config) / 1000));
    hasSeconds = true;
  }
  for (let i = 0; i < lb.size; i++) {
    const name = lb.names[i]!;
    if (!name.startsWith("__param_")) continue;
    const key = name.slice("__param_".length);
    const existing = params[key];
    if (existing && existing.length > 0) existing[0] = lb.values[i]!;
    else params[key] = [lb.values[i]!];
    if (key === "seconds") hasSeconds = true;
  }

  const profileType = rawName;
  const url = buildScrapeUrl(
    scheme,
    address,
    lb.get("__profile_path_prefix__") ?? "",
    lb.get("__profile_path__") ?? "",
    params,
  );
  const timeoutMs = config.scrape_timeout + (hasSeconds ? config.scrape_interval - 1000 : 0);
  const publicKey = lb.filter((name) => !name.startsWith("__")).key();
  return {
    labels: lb,
    discoveredLabels: discovered,
    url,
    profileType,
    clientDelta: CLIENT_DELTA_TYPES.has(profileType),
    timeoutMs,
    key: `${publicKey}\u0000${url}`,
    serviceNameFallback,
  };
}

/**
 * Labels a forwarded profile carries: every target label, private ones (`__address__`,
 * `__meta_*`, `__tmp_*`, …) included, so processors (`relabel`, `service_name`) can use them.
 * Exporters send only the private labels `wireLabels` of `core/pyroscope_labels/` keeps.
 */
export function exportLabels(labels: LabelSet): LabelSet {
  return labels;
}

/** FNV-1a (32-bit) of a string; spreads loop start offsets over the interval. */
export function fnv32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
