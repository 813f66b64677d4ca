import { assertEquals } from "../../tests/support/assert.ts";
import { ScriptedConsumer, startReceiver } from "./test_helpers.ts";

/** A pipeline whose exporters report no room for more bytes. */
class FullPipeline extends ScriptedConsumer {
  asked: number[] = [];
  hasRoomFor(bytes: number): boolean {
    this.asked.push(bytes);
    return false;
  }
}

Deno.test("full exporter queues: 429 with Retry-After before the body is read", async () => {
  const consumer = new FullPipeline();
  await using r = await startReceiver({ retry_after: 3 }, consumer);
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
  assertEquals(consumer.asked, [body.byteLength, body.byteLength]);
  assertEquals(consumer.items.length, 0);
});
