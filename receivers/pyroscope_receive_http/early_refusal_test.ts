import { assertEquals } from "../../tests/support/assert.ts";
import { BackpressureError, type Demand } from "../../core/admission.ts";
import { ScriptedConsumer, startReceiver } from "./test_helpers.ts";

/** A pipeline whose exporters report no room for more bytes. */
class FullPipeline extends ScriptedConsumer {
  asked: Demand[] = [];
  override check(demand: Demand): void {
    this.asked.push(demand);
    throw new BackpressureError("queue of test is full");
  }
}

Deno.test("full exporter queues: 429 with Retry-After before the body is read", async () => {
  const consumer = new FullPipeline();
  await using r = await startReceiver({ retry_after: "3s" }, consumer);
  const body = Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url));
  for (const path of ["/ingest?name=app&format=pprof", "/push.v1.PusherService/Push"]) {
    const response = await fetch(r.url + path, {
      method: "POST",
      headers: { "content-type": path.includes("Push") ? "application/proto" : "x" },
      body,
    });
    assertEquals(response.status, 429, path);
    assertEquals(response.headers.get("retry-after"), "3");
    await response.body?.cancel();
  }
  const demand = { items: 1, bytes: body.byteLength };
  assertEquals(consumer.asked, [demand, demand]);
  assertEquals(consumer.items.length, 0);
});
