/**
 * The load generator, run as its own process: POSTs one body to a URL for a fixed time,
 * either closed-loop (`--concurrency N`, as fast as answers come) or open-loop at a fixed
 * rate (`--rate R`, latency measured from the scheduled send time, so queueing shows).
 * Prints one JSON line: counts by status, requests per second of 200s, p50/p99 latency (ms).
 *
 * Args: --url U --body FILE --content-type T --seconds S [--concurrency N | --rate R]
 */

function arg(name: string, fallback?: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  const value = i >= 0 ? Deno.args[i + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

const url = arg("url");
const body = Deno.readFileSync(arg("body"));
const contentType = arg("content-type", "application/proto");
const seconds = Number(arg("seconds", "5"));
const concurrency = Number(arg("concurrency", "32"));
const rate = Number(arg("rate", "0"));

const statuses = new Map<number, number>();
const latencies: number[] = [];
let ok = 0;

async function send(scheduled: number): Promise<void> {
  let status = 0;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    status = response.status;
    await response.body?.cancel();
  } catch {
    status = 0;
  }
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  if (status === 200) {
    ok++;
    latencies.push(performance.now() - scheduled);
  }
}

const started = performance.now();
const end = started + seconds * 1000;
if (rate > 0) {
  const inflight = new Set<Promise<void>>();
  const interval = 1000 / rate;
  for (let i = 0; started + i * interval < end; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = send(due);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all([...inflight]);
} else {
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) await send(performance.now());
  }));
}
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
console.log(JSON.stringify({
  ok,
  per_s: ok / elapsed,
  elapsed_s: elapsed,
  statuses: Object.fromEntries(statuses),
  p50_ms: pct(0.5),
  p99_ms: pct(0.99),
}));
