/**
 * `clustering`: replicas that share the targets without a cluster protocol. Each replica watches
 * the EndpointSlices of its own Service through the Kubernetes API (the live set: every endpoint
 * address whose `ready` condition is true) and keeps a scrape target only when it wins the
 * rendezvous hash of the target's key over that set. Every replica computes the same owner from
 * the same set, so each target is scraped by exactly one replica; when a replica leaves or joins,
 * only the targets it owned (or now owns) move, within one watch event.
 *
 * A replica that is not in the set yet (not ready) or has not listed the set scrapes nothing,
 * so a start never scrapes what another replica already owns.
 *
 * @module
 */

import type { Logger } from "../../core/telemetry/logger.ts";
import type { DiscoveryHealth } from "./discovery/health.ts";
import {
  type DiscoveryStatus,
  KubernetesDiscoverer,
  type KubernetesDiscovererOptions,
} from "./discovery/kubernetes/kubernetes_sd.ts";
import { kubernetesSdConfigSchema } from "./discovery/kubernetes/config.ts";
import { peersDiscoveryInput } from "./config.ts";
import type { TargetGroup } from "./discovery/target_group.ts";
import { fnv32 } from "./targets.ts";

/** The parsed `clustering` block. */
export interface ClusteringConfig {
  readonly enabled: boolean;
  /** The Service whose EndpointSlices list the replicas. */
  readonly service?: string;
  /** Its namespace; default: this pod's own. */
  readonly namespace?: string;
  /** This replica's address as its EndpointSlice lists it (the pod IP). */
  readonly self_address?: string;
  /** Kubernetes API connection (`kubernetes_sd_configs` fields, without role and selectors). */
  readonly kubernetes?: Readonly<Record<string, unknown>>;
}

const READY = "__meta_kubernetes_endpointslice_endpoint_conditions_ready";

/** The `kubernetes_sd_configs` entry that watches the replicas' EndpointSlices. */
export function peersDiscoveryConfig(config: ClusteringConfig) {
  return kubernetesSdConfigSchema.parse(peersDiscoveryInput(config));
}

/** The host of `host:port` (IPv6 in brackets too). */
function hostOf(address: string): string {
  const match = /^\[(.*)\](?::\d+)?$/.exec(address) ?? /^([^:]*)(?::\d+)?$/.exec(address);
  return match ? match[1]! : address;
}

/** The ready replicas' addresses in EndpointSlice target groups. */
export function readyPeers(groups: readonly TargetGroup[]): Set<string> {
  const peers = new Set<string>();
  for (const group of groups) {
    for (const target of group.targets) {
      const labels = { ...group.labels, ...target };
      if (labels[READY] === "true" && labels.__address__) peers.add(hostOf(labels.__address__));
    }
  }
  return peers;
}

/** A 32-bit hash with good spread for rendezvous (FNV-1a, then a murmur3 finalizer). */
function score(peer: string, key: string): number {
  let h = fnv32(`${peer}\u0000${key}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The owner of `key` among `peers` (highest score, ties broken by address). */
export function ownerOf(key: string, peers: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const peer of peers) {
    const s = score(peer, key);
    if (s > bestScore || (s === bestScore && best !== undefined && peer < best)) {
      best = peer;
      bestScore = s;
    }
  }
  return best;
}

/** This replica's view of the cluster. */
export class ClusterPeers {
  readonly #self: string;
  readonly #discoverer: KubernetesDiscoverer;
  readonly #logger: Logger;
  #peers: Set<string> | undefined;

  constructor(
    config: ClusteringConfig,
    logger: Logger,
    userAgent: string,
    options: KubernetesDiscovererOptions,
    health: DiscoveryHealth,
  ) {
    this.#self = config.self_address ?? "";
    this.#logger = logger;
    this.#discoverer = new KubernetesDiscoverer(
      peersDiscoveryConfig(config),
      logger,
      userAgent,
      options,
      health,
    );
  }

  get health(): DiscoveryHealth {
    return this.#discoverer.health;
  }

  /** Starts watching; `changed` runs whenever the live set changes. */
  start(changed: () => void): void {
    this.#discoverer.start((groups) => {
      const peers = readyPeers(groups);
      this.#discoverer.health.targets = peers.size;
      const before = this.#peers;
      if (before && before.size === peers.size && [...peers].every((p) => before.has(p))) return;
      this.#peers = peers;
      this.#logger.info("cluster peers changed", {
        peers: peers.size,
        self_ready: peers.has(this.#self),
      });
      changed();
    });
  }

  /** The live set (sorted), or `undefined` before the first list. */
  get peers(): string[] | undefined {
    return this.#peers && [...this.#peers].sort();
  }

  /** Whether this replica scrapes the target with this key. */
  owns(key: string): boolean {
    if (!this.#peers || !this.#peers.has(this.#self)) return false;
    return ownerOf(key, this.#peers) === this.#self;
  }

  status(componentId: string): DiscoveryStatus {
    return { ...this.#discoverer.status(componentId), mechanism: "clustering" };
  }

  stop(): Promise<void> {
    return this.#discoverer.stop();
  }
}
