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
