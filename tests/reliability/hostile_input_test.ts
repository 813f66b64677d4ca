/**
 * Reliability scenario 5: at least 10,000 generated hostile bodies per endpoint (Connect Push
 * binary and JSON, `/ingest`). Every one must get a 4xx, the process must stay up without
 * growing, and a valid request must succeed after every batch. Any body that ever got through
 * is kept in `tests/fixtures/hostile/` and replayed first on every run.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { startSink } from "../support/strict_sink.ts";
import {
  gatewayConfig,
  pool,
  report,
  rssMiB,
  sendPush,
  sinkEndpoint,
  startCollector,
} from "./harness.ts";
import {
  hostileIngest,
  hostileJson,
  hostilePush,
  type HostileRequest,
  prng,
} from "./hostile_generators.ts";

const PER_ENDPOINT = 10_000;
const FIXTURES = new URL("../fixtures/hostile/", import.meta.url).pathname;

interface Fixture {
  request: HostileRequest;
  file: string;
}

/** Fixture files: `<name>.json` (path, content type, kind) beside `<name>.bin` (the body). */
function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const entry of Deno.readDirSync(FIXTURES)) {
    if (!entry.name.endsWith(".json")) continue;
    const meta = JSON.parse(Deno.readTextFileSync(FIXTURES + entry.name));
    const body = Deno.readFileSync(FIXTURES + entry.name.replace(/\.json$/, ".bin"));
    out.push({ request: { ...meta, body }, file: entry.name });
  }
  return out;
}

function saveFixture(request: HostileRequest, status: number): string {
  const name = `${Date.now()}-${request.kind.replace(/[^a-z0-9]+/gi, "_").slice(0, 40)}`;
  Deno.writeFileSync(`${FIXTURES}${name}.bin`, request.body);
  const { body: _, ...meta } = request;
  Deno.writeTextFileSync(`${FIXTURES}${name}.json`, JSON.stringify({ ...meta, status }, null, 2));
  return name;
}

async function send(url: string, request: HostileRequest): Promise<number> {
  try {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers["content-type"] = request.contentType;
    const response = await fetch(url + request.path, {
      method: "POST",
      headers,
      body: request.body as BodyInit,
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

Deno.test("reliability 5: 30,000 hostile bodies all get a 4xx; the collector stays up and small", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel5-" });
  const collector = await startCollector(dir, gatewayConfig(sinkEndpoint(sink)));
  try {
    const escaped: string[] = [];
    const byKind = new Map<string, number>();
    const check = (request: HostileRequest, status: number) => {
      byKind.set(request.kind.replace(/ ".*"$/, ""), (byKind.get(request.kind) ?? 0) + 1);
      if (status >= 400 && status < 500) return;
      escaped.push(`${request.kind} → ${status} (saved as ${saveFixture(request, status)})`);
    };
    for (const fixture of loadFixtures()) {
      const status = await send(collector.url, fixture.request);
      if (status < 400 || status >= 500) escaped.push(`fixture ${fixture.file} → ${status}`);
    }
    let validAfterBatch = 0;
    let rssAfterFirstRound = 0;
    let total = 0;
    const generators = [hostilePush, hostileJson, hostileIngest];
    const randoms = generators.map((_, g) => prng(1000 + g));
    // Two rounds over every generator: memory after the first (everything warmed up) against
    // after the second shows a leak, not V8's high-water mark.
    const ROUNDS = 2;
    const BATCH = 500;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [g, generate] of generators.entries()) {
        for (let batch = 0; batch < PER_ENDPOINT / ROUNDS / BATCH; batch++) {
          const base = round * PER_ENDPOINT + batch * BATCH;
          const requests = Array.from({ length: BATCH }, (_, i) => generate(randoms[g]!, base + i));
          const statuses = await pool(requests.length, 8, (i) => send(collector.url, requests[i]!));
          requests.forEach((request, i) => check(request, statuses[i]!));
          total += requests.length;
          const ok = await sendPush(collector.url, 1_000_000 + total);
          if (ok.status === 200) validAfterBatch++;
          else escaped.push(`a valid push after batch ${batch} of generator ${g} got ${ok.status}`);
        }
      }
      if (round === 0) rssAfterFirstRound = rssMiB(collector.pid);
    }
    const rssEnd = rssMiB(collector.pid);
    const exited = await Promise.race([
      collector.proc.child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10)),
    ]);
    report("5 hostile", {
      sent: total,
      escaped: escaped.length,
      valid_after_each_batch: validAfterBatch,
      rss_after_round_1_mib: rssAfterFirstRound.toFixed(1),
      rss_end_mib: rssEnd.toFixed(1),
      kinds: byKind.size,
    });
    assertEquals(escaped.slice(0, 20), [], "every hostile body got a 4xx");
    assert(!exited, "the collector is still running");
    assert(total >= 3 * PER_ENDPOINT);
    // GC timing moves RSS by tens of MiB between rounds (runs measured -9 to +36); a leak of
    // 6.4 KiB or more per request would add over 64 MiB across the 15,000 of round two.
    const growth = rssEnd - rssAfterFirstRound;
    assert(growth < 64, `RSS grew ${growth.toFixed(1)} MiB in the second round (a leak)`);
    await sink.waitFor(validAfterBatch, 30_000);
  } finally {
    await collector.stop();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
