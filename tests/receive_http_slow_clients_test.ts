/**
 * Issue 23, reproduction 3: 64 clients trickling a body at 1 byte per second (reconnecting
 * when cut, as an attacker would) and 64 clients trickling their headers must not lock a
 * normal client out of `pyroscope.receive_http` with its default limits: the in-flight slots
 * are held only while bodies arrive at `server_min_body_rate`, tricklers are cut with 408 and
 * counted, and the normal client keeps getting 200.
 */

import { assert, assertEquals } from "./support/assert.ts";
import {
  ScriptedConsumer,
  startReceiver,
} from "../receivers/pyroscope_receive_http/test_helpers.ts";

const TRICKLERS = 64;
const encoder = new TextEncoder();

/** A connection that sends `head`, then one byte of `filler` a second until stopped. */
async function trickle(
  port: number,
  head: string,
  stopped: AbortSignal,
  answers: string[],
): Promise<void> {
  while (!stopped.aborted) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const closed = (async () => {
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer).catch(() => null);
      if (n !== null) answers.push(new TextDecoder().decode(buffer.subarray(0, n)));
    })();
    try {
      await conn.write(encoder.encode(head));
      let open = true;
      closed.then(() => (open = false));
      while (open && !stopped.aborted) {
        await Promise.race([new Promise((r) => setTimeout(r, 1000)), closed]);
        if (open && !stopped.aborted) await conn.write(encoder.encode("x")).catch(() => {});
      }
    } catch {
      // Cut by the server while writing: reconnect.
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      await closed;
    }
  }
}

Deno.test("slow clients: 64 trickling uploads and 64 slow headers do not starve a normal client", async () => {
  await using rx = await startReceiver({}, new ScriptedConsumer());
  const port = Number(new URL(rx.url).port);
  const stop = new AbortController();
  const answers: string[] = [];
  const bodyHead = "POST /ingest?name=trickle HTTP/1.1\r\nHost: x\r\n" +
    "Content-Length: 1000\r\n\r\n";
  const headerHead = "POST /ingest?name=slow-headers HTTP/1.1\r\nHost: x\r\n";
  const clients = [
    ...Array.from({ length: TRICKLERS }, () => trickle(port, bodyHead, stop.signal, answers)),
    ...Array.from({ length: TRICKLERS }, () => trickle(port, headerHead, stop.signal, [])),
  ];
  try {
    // Let the tricklers take every slot.
    await new Promise((r) => setTimeout(r, 600));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await rx.fetch(`/ingest?name=normal`, { method: "POST", body: `f;g ${i}` });
      await response.body?.cancel();
      statuses.push(response.status);
      await new Promise((r) => setTimeout(r, 250));
    }
    assertEquals(statuses, Array(12).fill(200));
    assertEquals(rx.consumer.items.length, 12);
  } finally {
    stop.abort();
    await Promise.all(clients);
  }
  // Every trickler was cut (by a newcomer or by the minimum rate) and counted.
  const cut = rx.metrics.counter("profcol_receive_http_refused_requests_total", "", [
    "component_id",
    "reason",
  ]).get({ component_id: "pyroscope.receive_http/test", reason: "body_too_slow" });
  assert(cut >= TRICKLERS, `body_too_slow counted ${cut} times, expected at least ${TRICKLERS}`);
  const status = (answer: string) => answer.slice(9, 12);
  assert(answers.some((answer) => status(answer) === "408"), "a trickler is answered 408");
});

Deno.test("slow headers: server_read_header_timeout closes late heads; requests through the front work", async () => {
  await using rx = await startReceiver({ http: { server_read_header_timeout: "500ms" } });
  const port = Number(new URL(rx.url).port);
  const started = performance.now();
  const closedAfter = await Promise.all(Array.from({ length: 20 }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const head = encoder.encode("POST /ingest?name=slow HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const reading = conn.read(new Uint8Array(1024)).catch(() => null);
    let closed = false;
    reading.then(() => (closed = true));
    await conn.write(head);
    for (let i = 0; i < 30 && !closed; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!closed) await conn.write(encoder.encode("x")).catch(() => {});
    }
    // Bounded, so a server that never closes fails the test instead of hanging it.
    await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);
    const after = performance.now() - started;
    conn.close();
    return closed ? after : Infinity;
  }));
  assert(closedAfter.every((ms) => ms < 2500), `closed after ${closedAfter.map(Math.round)} ms`);
  // Content-Length and chunked bodies pass through the front, on kept-alive connections too.
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("f;g "));
        controller.enqueue(encoder.encode(`${i + 1}\n`));
        controller.close();
      },
    });
    for (const body of [`f;g ${i + 1}`, chunked]) {
      const response = await rx.fetch(`/ingest?name=fronted`, { method: "POST", body });
      await response.body?.cancel();
      statuses.push(response.status);
    }
  }
  assertEquals(statuses, Array(20).fill(200));
  assertEquals(rx.consumer.items.length, 20);
  const timedOut = rx.metrics.counter("profcol_receive_http_refused_requests_total", "", [
    "component_id",
    "reason",
  ]).get({ component_id: "pyroscope.receive_http/test", reason: "header_timeout" });
  assertEquals(timedOut, 20);
});
