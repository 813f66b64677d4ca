/**
 * Scenario R1 of the reliability campaign: a restart storm. With the spool on, the collector is
 * SIGKILLed 3 s after each start, eight times in a row (about 40 s; the brief's "every few
 * seconds for a minute", shortened), while four clients keep sending profiles over both APIs
 * and the sink keeps accepting. A torn spool file (a power-loss leftover) is planted first in
 * line before one restart. Then a last start delivers what is left.
 *
 * Guarantees: every acknowledged profile arrives; duplicates come only from a kill between the
 * sink's answer and the removal of the spool file (RELIABILITY.md, known limits) and are
 * counted; the kills never tear a spool file (the only `*.corrupt` file is the planted one);
 * the torn file is quarantined and counted and blocks nothing; the spool ends empty.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../support/assert.ts";
import { startSink } from "../support/strict_sink.ts";
import { encodeQueuedItem } from "../../core/delivery/item_codec.ts";
import { LabelSet } from "../../core/labels.ts";
import {
  arrivedHashes,
  type Collector,
  gatewayConfig,
  metric,
  profileBytes,
  report,
  sendIngest,
  sendPush,
  type Sent,
  sinkEndpoint,
  startCollector,
  tally,
  until,
} from "./harness.ts";

const KILLS = 8;
const UPTIME_MS = 3000;
const PLANT_AT_KILL = 3;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

Deno.test("reliability R1: a SIGKILL storm with the spool on loses nothing acknowledged and tears no file", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-storm-" });
  const spool = `${dir}/spool`;
  const config = gatewayConfig(sinkEndpoint(sink), {
    queue: `    queue:\n      spool: { directory: ${spool} }`,
  });
  let current: Collector | undefined;
  let stopping = false;
  const sent: Sent[] = [];
  let next = 0;
  let planted = "";
  // Clients that always send to the collector of the moment; refused or cut requests count
  // as not acknowledged (a real client would retry them).
  const clients = Array.from({ length: 4 }, async () => {
    while (!stopping) {
      const target = current;
      if (!target) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const n = next++;
      sent.push(n % 2 === 0 ? await sendPush(target.url, n) : await sendIngest(target.url, n));
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  const started = Date.now();
  try {
    for (let kill = 1; kill <= KILLS; kill++) {
      current = await startCollector(dir, config);
      await new Promise((r) => setTimeout(r, UPTIME_MS));
      const victim = current;
      current = undefined;
      victim.proc.child.kill("SIGKILL");
      await victim.proc.exit();
      if (kill === PLANT_AT_KILL) {
        // A torn spool item (a power loss without fsync), named to be first in line.
        const endpointDir = [...Deno.readDirSync(spool)].find((e) => e.isDirectory)!.name;
        const bytes = encodeQueuedItem({
          item: {
            kind: "push",
            labels: LabelSet.from({ __name__: "process_cpu", service_name: "planted" }),
            samples: [{ rawProfile: profileBytes(999_999) }],
          },
          meta: {},
        });
        planted = join(spool, endpointDir, "00000000000000001-1.pcq");
        Deno.writeFileSync(planted, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
      }
    }
    const stormMs = Date.now() - started;
    current = await startCollector(dir, config);
    const last = current;
    await new Promise((r) => setTimeout(r, 500));
    stopping = true;
    await Promise.all(clients);
    const acknowledged = sent.filter((s) => s.status === 200);
    const arrivedHas = async () => {
      const arrived = new Set(await arrivedHashes(sink));
      return acknowledged.filter((s) => !arrived.has(s.hash)).length;
    };
    await until(async () => (await arrivedHas()) === 0, 60_000, "every acknowledged profile");
    await until(
      () => walk(spool).filter((f) => f.endsWith(".pcq") || f.endsWith(".tmp")).length === 0,
      30_000,
      "an empty spool",
    );
    const arrived = tally(await arrivedHashes(sink));
    const duplicates = [...arrived.values()].reduce((a, n) => a + n - 1, 0);
    const corrupt = walk(spool).filter((f) => f.endsWith(".corrupt"));
    const spoolBytes = await metric(last.admin, "profcol_exporter_spool_bytes");
    report("R1 restart storm", {
      kills: KILLS,
      storm_s: (stormMs / 1000).toFixed(0),
      sent: sent.length,
      acknowledged: acknowledged.length,
      refused_or_cut: sent.length - acknowledged.length,
      arrived: arrived.size,
      missing: 0,
      duplicates,
      corrupt_files: corrupt.length,
      planted_quarantined: corrupt.includes(`${planted}.corrupt`) ? 1 : 0,
      spool_bytes_after: spoolBytes,
    });
    assert(acknowledged.length >= KILLS * 20, `only ${acknowledged.length} acknowledged`);
    assertEquals(corrupt, [`${planted}.corrupt`], "only the planted file is corrupt");
    assertEquals(spoolBytes, 0);
    // At most one kill per restart can catch delivered files before their removal: every
    // duplicate is a profile that was in flight (a batch) at one of the kills.
    assert(duplicates <= KILLS * 4 * 64, `${duplicates} duplicates`);
  } finally {
    stopping = true;
    await Promise.all(clients);
    await current?.stop();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
