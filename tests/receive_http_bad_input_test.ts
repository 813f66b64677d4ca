/**
 * pyroscope.receive_http over real sockets with hostile input: truncated multipart, garbage
 * protobuf, invalid JSON, oversized and slow bodies. Each gets a clear 4xx and the server
 * keeps serving the next request.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import {
  multipartBody,
  rawRequest,
  type Running,
  startReceiver,
  TOY_PPROF,
} from "../receivers/pyroscope_receive_http/test_helpers.ts";

async function stillServes(rx: Running): Promise<void> {
  const before = rx.consumer.items.length;
  const response = await fetch(`${rx.url}/ingest?name=alive`, { method: "POST", body: "a;b 1" });
  await response.body?.cancel();
  assertEquals(response.status, 200, "server still serves after bad input");
  assertEquals(rx.consumer.items.length, before + 1);
}

function statusOf(raw: string): number {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  assert(match, `no HTTP status line in ${JSON.stringify(raw.slice(0, 80))}`);
  return Number(match[1]);
}

Deno.test("bad input: a multipart body cut off mid-part is a 400, then the server serves", async () => {
  await using rx = await startReceiver();
  const { body, contentType } = multipartBody([
    { name: "profile", filename: "profile.pprof", data: TOY_PPROF },
  ]);
  const cut = body.subarray(0, body.length - 20);
  const response = await fetch(`${rx.url}/ingest?name=app`, {
    method: "POST",
    body: cut as BodyInit,
    headers: { "content-type": contentType },
  });
  assertEquals(response.status, 400);
  assertStringIncludes(await response.text(), "truncated");
  await stillServes(rx);
});

Deno.test("bad input: a client that closes before sending the declared body", async () => {
  await using rx = await startReceiver();
  const { host } = new URL(rx.url);
  // Declares 1000 bytes, sends 10, then half-closes by ending the exchange early.
  await rawRequest(rx.url, [
    `POST /ingest?name=app HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1000\r\n\r\n`,
    "0123456789",
  ], 200);
  assertEquals(rx.consumer.items.length, 0, "nothing forwarded from a cut-off body");
  await stillServes(rx);
});

Deno.test("bad input: garbage protobuf and invalid JSON on Push are 400 invalid_argument", async () => {
  await using rx = await startReceiver();
  const garbage = new Uint8Array(256);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
  for (
    const [body, type] of [
      [garbage, "application/proto"],
      ['{"series": [', "application/json"],
      ['{"series":"nope"}', "application/json"],
    ] as const
  ) {
    const response = await fetch(`${rx.url}/push.v1.PusherService/Push`, {
      method: "POST",
      body: body as BodyInit,
      headers: { "content-type": type },
    });
    assertEquals(response.status, 400, type);
    const error = await response.json();
    assertEquals(error.code, "invalid_argument");
    assertMatch(error.message, /^unmarshal message: /);
  }
  await stillServes(rx);
});

Deno.test("bad input: oversized bodies get 413 without being read whole", async () => {
  await using rx = await startReceiver({ max_request_body_size: "1KiB" });
  const { host } = new URL(rx.url);
  const declared = await rawRequest(rx.url, [
    `POST /ingest?name=app HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 10000000\r\n\r\n`,
  ]);
  assertEquals(statusOf(declared), 413);
  assertStringIncludes(declared, "larger than the limit of 1024 bytes");
  const chunk = "x".repeat(600);
  const chunked = await rawRequest(rx.url, [
    `POST /ingest?name=app HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
  ]);
  assertEquals(statusOf(chunked), 413);
  await stillServes(rx);
});

Deno.test("bad input: a slow client gets 408 at server_read_timeout", async () => {
  await using rx = await startReceiver({ http: { server_read_timeout: "100ms" } });
  const { host } = new URL(rx.url);
  const slow = await rawRequest(rx.url, [
    `POST /push.v1.PusherService/Push HTTP/1.1\r\nHost: ${host}\r\n` +
    `Content-Type: application/proto\r\nContent-Length: 100\r\n\r\n`,
    "\x0a\x05",
  ]);
  assertEquals(statusOf(slow), 408);
  assertStringIncludes(slow, "server_read_timeout");
  assertStringIncludes(slow, '"code":"deadline_exceeded"');
  await stillServes(rx);
});
