/**
 * A pprof target on its own thread (see `pprof_peer.ts`): `/debug/pprof/goroutine` serves a
 * fixture, `/debug/pprof/allocs` a cumulative allocs profile that grows by one allocation per
 * request and whose `time_nanos` is the request number in seconds, so a chain of deltas shows
 * any scrape lost or counted twice. The first message sets `delayMs` (every answer waits that
 * long); the next one stops the server.
 */

/// <reference lib="deno.worker" />

import { emptyProfile, encodeProfile } from "../../pprof/profile.ts";
import { gzip } from "../../pprof/gzip.ts";

const goroutine = Deno.readFileSync(
  new URL("../../pprof/testdata/goroutine.pb.gz", import.meta.url),
);

/** Cumulative allocs after `n` requests. */
function allocs(n: number): Uint8Array {
  const p = emptyProfile();
  p.stringTable = ["", "alloc_objects", "count", "alloc_space", "bytes"];
  p.sampleType = [{ type: 1, unit: 2 }, { type: 3, unit: 4 }];
  p.location = [{ id: 1, mappingId: 0, address: 0x1000, line: [], isFolded: false }];
  p.sample = [{ locationId: [1], value: [n, n * 64], label: [] }];
  p.timeNanos = n * 1e9;
  return gzip(encodeProfile(p));
}

let requests = 0;
let delayMs = 0;
const headers = { "content-type": "application/octet-stream" };
const server = await new Promise<Deno.HttpServer<Deno.NetAddr>>((resolve) => {
  self.onmessage = (event: MessageEvent<{ delayMs: number }>) => {
    delayMs = event.data.delayMs;
    resolve(Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, answer));
  };
});
self.postMessage({ port: server.addr.port });
self.onmessage = async () => {
  await server.shutdown();
  self.postMessage({ stopped: true });
};

async function answer(req: Request): Promise<Response> {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  const path = new URL(req.url).pathname;
  if (path === "/debug/pprof/goroutine") return new Response(goroutine, { headers });
  if (path === "/debug/pprof/allocs") {
    return new Response(allocs(++requests) as Uint8Array<ArrayBuffer>, { headers });
  }
  return new Response("not found", { status: 404 });
}
