/**
 * Scenarios 1 and 2 of the reliability campaign:
 * 1. The sink is down for 30 s while 2,000 profiles arrive over both ingest APIs; once it is
 *    back, every accepted profile arrives exactly once (by content hash), none rejected.
 * 2. With the spool on, the collector is SIGKILLed mid-outage and restarted; every profile
 *    acknowledged before the kill is delivered after the restart.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { startSink } from "../support/strict_sink.ts";
import {
  arrivedHashes,
  gatewayConfig,
  metric,
  pool,
  report,
  sendIngest,
  sendPush,
  type Sent,
  sinkEndpoint,
  startCollector,
  tally,
  until,
} from "./harness.ts";

const OUTAGE_MS = 30_000;
const PROFILES = 2_000;

Deno.test("reliability 1: a 30 s outage under 2,000 profiles loses and duplicates nothing", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel1-" });
  await sink.down();
  const collector = await startCollector(dir, gatewayConfig(sinkEndpoint(sink)));
  try {
    const started = Date.now();
    // Spread the arrivals over the outage: half Connect Push, half /ingest.
    const sent = await pool(PROFILES, 8, async (i): Promise<Sent> => {
      const due = started + (i / PROFILES) * (OUTAGE_MS - 2000);
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return i % 2 === 0 ? await sendPush(collector.url, i) : await sendIngest(collector.url, i);
    });
    const rest = started + OUTAGE_MS - Date.now();
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    assertEquals(sink.pushes.length + sink.ingests.length, 0, "nothing arrives while down");
    await sink.up();
    const accepted = sent.filter((s) => s.status === 200);
    await sink.waitFor(accepted.length, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const arrived = tally(await arrivedHashes(sink));
    const missing = accepted.filter((s) => !arrived.has(s.hash)).length;
    const duplicated = [...arrived.values()].filter((c) => c > 1).length;
    const refusedBySink = sink.requests.filter((r) => r.status >= 400).length;
    const dropped = await metric(collector.admin, "profcol_exporter_dropped_profiles_total");
    report("1 outage", {
      sent: PROFILES,
      accepted: accepted.length,
      arrived: arrived.size,
      missing,
      duplicated,
      refused_by_sink: refusedBySink,
      dropped,
      recovery_ms: Date.now() - started - OUTAGE_MS,
    });
    assertEquals(accepted.length, PROFILES, "the queue holds a 30 s outage without refusing");
    assertEquals([missing, duplicated, refusedBySink, dropped], [0, 0, 0, 0]);
  } finally {
    await collector.stop();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("reliability 2: SIGKILL mid-outage with the spool on loses nothing acknowledged", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel2-" });
  const config = gatewayConfig(sinkEndpoint(sink), {
    queue: `    queue:\n      spool: { directory: ${dir}/spool }`,
  });
  await sink.down();
  const first = await startCollector(dir, config);
  let sent: Sent[] = [];
  try {
    // Keep sending while the kill lands, so some requests are cut off mid-way.
    const sending = pool(
      600,
      6,
      (i) => i % 2 === 0 ? sendPush(first.url, i) : sendIngest(first.url, i),
    );
    await until(
      async () => (await metric(first.admin, "profcol_exporter_queue_profiles")) >= 300,
      30_000,
      "300 spooled profiles",
    );
    first.proc.child.kill("SIGKILL");
    sent = await sending;
    await first.proc.exit();
  } finally {
    await first.stop();
  }
  const acknowledged = sent.filter((s) => s.status === 200);
  await sink.up();
  const second = await startCollector(dir, config);
  try {
    await sink.waitFor(acknowledged.length, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const arrived = tally(await arrivedHashes(sink));
    const missing = acknowledged.filter((s) => !arrived.has(s.hash)).length;
    const duplicated = [...arrived.values()].filter((c) => c > 1).length;
    report("2 crash+restart", {
      sent: sent.length,
      acknowledged: acknowledged.length,
      cut_off: sent.filter((s) => s.status === 0).length,
      arrived: arrived.size,
      missing,
      duplicated,
    });
    assert(acknowledged.length >= 300);
    assertEquals([missing, duplicated], [0, 0]);
  } finally {
    await second.stop();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
