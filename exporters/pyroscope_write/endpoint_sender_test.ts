import { assert, assertEquals } from "../../tests/support/assert.ts";
import { createHttpClient } from "../../core/http/client.ts";
import type { QueuedItem } from "../../core/delivery/item_codec.ts";
import { LabelSet } from "../../core/labels.ts";
import { pyroscopeWriteConfigSchema } from "./config.ts";
import { batchDeadline, DEADLINE_META, endpointSender } from "./endpoint_sender.ts";
import { EndpointTransport } from "./transport.ts";

const labels = LabelSet.from({ __name__: "app", service_name: "app" });
const pushItem = (meta: Record<string, string>): QueuedItem => ({
  item: { kind: "push", labels, samples: [{ rawProfile: new Uint8Array([1]) }] },
  meta,
});
const ingestItem = (meta: Record<string, string>): QueuedItem => ({
  item: { kind: "ingest", labels, body: new Uint8Array([1]), contentType: [], query: [] },
  meta,
});

Deno.test("endpoint sender: Push and /ingest tell the server what is left of the items' deadline", async () => {
  const seen: [string, number][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    seen.push([new URL(req.url).pathname, Number(req.headers.get("connect-timeout-ms"))]);
    return new Response(null, { status: 200 });
  });
  const config = pyroscopeWriteConfigSchema.parse({
    endpoint: [{ url: `http://127.0.0.1:${server.addr.port}`, remote_timeout: "10s" }],
  }).endpoint[0]!;
  const client = createHttpClient(config, { userAgent: "profcol/test" });
  const send = endpointSender(new EndpointTransport(config, client), "connect");
  const signal = new AbortController().signal;
  try {
    const deadline = String(Date.now() + 2_000);
    await send([pushItem({ [DEADLINE_META]: deadline })], signal);
    await send([ingestItem({ [DEADLINE_META]: deadline })], signal);
    await send([pushItem({})], signal);
    assertEquals(seen.map(([path]) => path), [
      "/push.v1.PusherService/Push",
      "/ingest",
      "/push.v1.PusherService/Push",
    ]);
    for (const [path, told] of seen.slice(0, 2)) {
      assert(told > 1_000 && told <= 2_000, `${path} is told the 2000 ms left, got ${told}`);
    }
    assert(seen[2]![1] > 9_000 && seen[2]![1] <= 10_000, "without one, remote_timeout");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("endpoint sender: a batch's deadline is the earliest its items carry", () => {
  assertEquals(batchDeadline([pushItem({}), pushItem({})]), undefined);
  assertEquals(
    batchDeadline([
      pushItem({ [DEADLINE_META]: "300" }),
      pushItem({}),
      pushItem({ [DEADLINE_META]: "200" }),
    ]),
    200,
  );
});
