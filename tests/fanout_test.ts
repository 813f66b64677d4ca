/**
 * Pipeline fan-out in a running collector: one receiver feeds two pipelines, a processor's
 * change in one is never seen in the other, a request is queued at every exporter at once
 * (after the slowest reservation) or at none, and a full exporter turns into backpressure
 * with nothing enqueued anywhere.
 */

import { BackpressureError } from "../core/component.ts";
import { Registry } from "../core/registry.ts";
import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { LabelSet } from "../core/labels.ts";
import type { PushItem } from "../core/items.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./support/assert.ts";
import { instances, TestExporter, testFactories, TestReceiver } from "./support/test_factories.ts";

const CONFIG = `receivers:
  test.receiver/in: {}
processors:
  test.processor/rename: { label: service_name, value: renamed }
exporters:
  test.exporter/renamed: {}
  test.exporter/original: {}
  test.exporter/slow: { delay: 300ms }
service:
  pipelines:
    renamed:
      receivers: [test.receiver/in]
      processors: [test.processor/rename]
      exporters: [test.exporter/renamed]
    original:
      receivers: [test.receiver/in]
      exporters: [test.exporter/original, test.exporter/slow]
  telemetry: { http: { listen_port: 0 } }
`;

const item = (n: number): PushItem => ({
  kind: "push",
  labels: LabelSet.from({ service_name: "api", n: String(n) }),
  samples: [{ rawProfile: new Uint8Array([n]) }],
});

async function running(text: string) {
  instances.clear();
  const collector = new Collector({
    configFiles: ["fanout.yaml"],
    registry: new Registry(testFactories),
    version: "test",
    logger: new Logger({ write: () => {} }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  const get = <T>(id: string, type: new (...a: never[]) => T) => {
    const found = instances.get(id);
    if (!(found instanceof type)) throw new Error(`missing ${id}`);
    return found;
  };
  return { collector, get };
}

Deno.test("fan-out: a change in one pipeline is never seen in another; queued everywhere at once", async () => {
  const { collector, get } = await running(CONFIG);
  try {
    const receiver = get("test.receiver/in", TestReceiver);
    const pushed = receiver.push(item(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The slow exporter is still reserving: no exporter holds the item before all have room.
    assertEquals(get("test.exporter/renamed", TestExporter).items.length, 0);
    assertEquals(get("test.exporter/original", TestExporter).items.length, 0);
    assertEquals(get("test.exporter/slow", TestExporter).items.length, 0);
    await pushed;
    const renamed = get("test.exporter/renamed", TestExporter).items[0]!;
    const original = get("test.exporter/original", TestExporter).items[0]!;
    const slow = get("test.exporter/slow", TestExporter).items[0]!;
    assertEquals(renamed.labels.get("service_name"), "renamed");
    assertEquals(original.labels.get("service_name"), "api");
    assert(original === slow, "exporters of one pipeline share the very same item");
    const metrics = collector.metrics.render();
    assertStringIncludes(
      metrics,
      'profcol_receiver_accepted_profiles_total{component_id="test.receiver/in"} 1',
    );
    assertStringIncludes(
      metrics,
      'profcol_exporter_enqueued_profiles_total{component_id="test.exporter/slow"} 1',
    );
  } finally {
    await collector.shutdown();
  }
});

Deno.test("fan-out: a full exporter in one pipeline means 429-style backpressure, nothing enqueued", async () => {
  const { collector, get } = await running(
    CONFIG.replace("test.exporter/original: {}", "test.exporter/original: { capacity: 1 }")
      .replace("{ delay: 300ms }", "{}"),
  );
  try {
    const receiver = get("test.receiver/in", TestReceiver);
    await receiver.push(item(1));
    const error = await assertRejects(() => receiver.push(item(2)), BackpressureError);
    assertStringIncludes(error.message, "test.exporter/original");
    // Item 2 reached no exporter, so a retry cannot duplicate it anywhere.
    for (const id of ["test.exporter/renamed", "test.exporter/original", "test.exporter/slow"]) {
      assertEquals(get(id, TestExporter).items.map((i) => i.labels.get("n")), ["1"], id);
    }
    assertStringIncludes(
      collector.metrics.render(),
      'profcol_receiver_refused_profiles_total{component_id="test.receiver/in",reason="queue_full"} 1',
    );
  } finally {
    await collector.shutdown();
  }
});
