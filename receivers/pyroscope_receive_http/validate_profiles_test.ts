import { assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { LabelSet } from "../../core/labels.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { startReceiver } from "./test_helpers.ts";

const heap = Deno.readFileSync(new URL("../../pprof/testdata/heap.pb.gz", import.meta.url));
const truncated = heap.subarray(0, heap.length - 9);

async function post(url: string, path: string, body: Uint8Array, type: string) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": type },
    body: body as BodyInit,
  });
  return { status: response.status, text: await response.text() };
}

const push = (raw: Uint8Array) =>
  encodePushRequest([{
    labels: LabelSet.from({ __name__: "memory", service_name: "s" }),
    samples: [{ rawProfile: raw }],
  }]);

Deno.test("validate_profiles: true refuses a truncated gzip profile on both APIs", async () => {
  await using r = await startReceiver({ validate_profiles: true });
  const viaPush = await post(
    r.url,
    "/push.v1.PusherService/Push",
    push(truncated),
    "application/proto",
  );
  assertEquals(viaPush.status, 400);
  assertStringIncludes(viaPush.text, "series[0].samples[0].raw_profile is not a pprof profile");
  assertStringIncludes(viaPush.text, "gzip data is corrupt or truncated");
  const viaIngest = await post(
    r.url,
    "/ingest?name=app&format=pprof",
    truncated,
    "application/octet-stream",
  );
  assertEquals(viaIngest.status, 422);
  assertStringIncludes(viaIngest.text, "format=pprof body is not a pprof profile");
  const good = await post(r.url, "/push.v1.PusherService/Push", push(heap), "application/proto");
  assertEquals(good.status, 200);
  assertEquals(r.consumer.items.length, 1);
});

Deno.test("validate_profiles: false (the default) only sniffs, as Alloy, so the truncation passes", async () => {
  await using r = await startReceiver();
  const viaPush = await post(
    r.url,
    "/push.v1.PusherService/Push",
    push(truncated),
    "application/proto",
  );
  assertEquals(viaPush.status, 200);
});
