/**
 * Horizontal scaling without a cluster protocol: each instance keeps the targets whose
 * Prometheus `hashmod` (md5 of the joined source label values, last 8 bytes mod N) equals its
 * `shard_index`, so the split matches a Prometheus `hashmod` relabel rule over the same labels.
 *
 * @module
 */

import { hashmod } from "../../core/relabel/mod.ts";
import type { LabelSet } from "../../core/labels.ts";

/** Parsed `sharding` block. */
export interface ShardingConfig {
  readonly shard_index: number;
  readonly total_shards: number;
  readonly source_labels: readonly string[];
}

/** The shard (0…total−1) of a target; the source values are joined with `;` as in relabel. */
export function shardOf(labels: LabelSet, sharding: ShardingConfig): number {
  const value = sharding.source_labels.map((name) => labels.get(name) ?? "").join(";");
  return Number(hashmod(value, BigInt(sharding.total_shards)));
}

/** Whether this instance scrapes `labels`. Without sharding every target is kept. */
export function inShard(labels: LabelSet, sharding: ShardingConfig | undefined): boolean {
  if (!sharding || sharding.total_shards <= 1) return true;
  return shardOf(labels, sharding) === sharding.shard_index;
}
