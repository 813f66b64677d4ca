import { assert, assertEquals } from "../../tests/support/assert.ts";
import { LabelSet } from "../../core/labels.ts";
import { compileRelabelRules, relabel } from "../../core/relabel/mod.ts";
import { inShard, shardOf } from "./sharding.ts";

const targets = Array.from(
  { length: 200 },
  (_, i) => LabelSet.from({ __address__: `10.0.${i}.1:6060` }),
);

Deno.test("sharding: every target lands in exactly one shard, stably", () => {
  const total = 3;
  const counts = [0, 0, 0];
  for (const t of targets) {
    const owners = [0, 1, 2].filter((i) =>
      inShard(t, { shard_index: i, total_shards: total, source_labels: ["__address__"] })
    );
    assertEquals(owners.length, 1);
    counts[owners[0]!]!++;
    assertEquals(
      shardOf(t, { shard_index: 0, total_shards: total, source_labels: ["__address__"] }),
      owners[0],
    );
  }
  assert(counts.every((c) => c > 40), `uneven split ${counts}`);
});

Deno.test("sharding matches a Prometheus hashmod relabel rule over the same labels", () => {
  const rules = compileRelabelRules([
    {
      source_labels: ["__address__", "job"],
      modulus: 4,
      target_label: "__tmp_shard",
      action: "hashmod",
    },
  ]);
  for (const base of targets.slice(0, 50)) {
    const t = base.with("job", "j");
    const expected = Number(relabel(t, rules)!.get("__tmp_shard"));
    assertEquals(
      shardOf(t, { shard_index: 0, total_shards: 4, source_labels: ["__address__", "job"] }),
      expected,
    );
  }
});

Deno.test("sharding: one shard or none keeps everything", () => {
  assert(inShard(targets[0]!, undefined));
  assert(inShard(targets[0]!, { shard_index: 0, total_shards: 1, source_labels: ["__address__"] }));
});
