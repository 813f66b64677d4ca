import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { gzipSync } from "node:zlib";
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

Deno.test("validate_profiles: 64 parallel gzip bombs are each refused, nothing queued", async () => {
  // 130 KB of gzip that inflates to 128 MiB of zeros: refused once the cap is passed.
  const bomb = new Uint8Array(gzipSync(new Uint8Array(128 << 20), { level: 9 }));
  assert(bomb.byteLength < 140_000, `bomb of ${bomb.byteLength} bytes`);
  // A 64 MiB body limit caps each inflate at 64 MiB: all of them back to back would hold the
  // loop for seconds; one per turn holds it for one inflate at a time.
  await using r = await startReceiver({ validate_profiles: true, max_request_body_size: "64MiB" });
  const body = push(bomb);
  let last = performance.now();
  let worstLag = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  try {
    const answers = await Promise.all(
      Array.from(
        { length: 64 },
        () => post(r.url, "/push.v1.PusherService/Push", body, "application/proto"),
      ),
    );
    for (const answer of answers) {
      assertEquals(answer.status, 400);
      assertStringIncludes(answer.text, "decompressed profile is larger than");
    }
  } finally {
    clearInterval(ticker);
  }
  // Each bomb is inflated in its own turn of the loop, capped at the body limit, so timers run
  // between them (pprof/gzip_test.ts checks that order without a clock). The lag is printed, not
  // asserted: on a loaded machine one capped inflate alone can take long (timing belongs in the
  // bench).
  console.log(
    `64 bombs: ${Math.round(performance.now() - started)}ms total, ` +
      `worst timer lag ${Math.round(worstLag)}ms`,
  );
  assertEquals(r.consumer.items.length, 0);
});
