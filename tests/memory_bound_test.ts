/**
 * Retained memory is bounded by configuration (RELIABILITY.md, "Memory bound"): requests whose
 * kept part is small and whose buffer is large must not stay resident. Each case runs
 * `tests/support/memory_probe.ts` (a collector in a subprocess with `--v8-flags=--expose-gc`,
 * fed over 127.0.0.1) and compares what stays resident after a forced GC with the configured
 * bound plus a wide margin. Before the fix each case kept every request: ~8 × the bound.
 */

import { assert, assertEquals } from "./support/assert.ts";

const MiB = 1024 * 1024;
const REQUESTS = 48;
const BIG = 4 * MiB;
/** Slack over the configured bound: sockets, metrics, code caches, allocator rounding. */
const MARGIN = 16 * MiB;

interface Probe {
  readonly scenario: string;
  readonly accepted: number;
  readonly retained: number;
}

async function probe(scenario: string): Promise<Probe> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      new URL("./support/memory_probe.ts", import.meta.url).pathname,
      scenario,
      String(REQUESTS),
      String(BIG),
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert(
    output.code === 0,
    `the probe failed: ${new TextDecoder().decode(output.stderr)}\n${stdout}`,
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Probe;
}

function assertRetainedBelow(result: Probe, bound: number): void {
  assertEquals(result.accepted, REQUESTS);
  assert(
    result.retained < bound + MARGIN,
    `${result.scenario}: ${(result.retained / MiB).toFixed(1)} MiB retained after ${REQUESTS} ` +
      `requests of ${BIG / MiB} MiB; the bound is ${bound / MiB} MiB (+ ${
        MARGIN / MiB
      } MiB margin)`,
  );
}

Deno.test("memory: a small series kept out of each large Push does not pin its request (queue.max_bytes 8MiB, endpoint down)", async () => {
  assertRetainedBelow(await probe("relabel"), 8 * MiB);
});

Deno.test("memory: a gzipped Push padded with a large unknown field does not pin its gunzipped buffer", async () => {
  assertRetainedBelow(await probe("padded"), 8 * MiB);
});

Deno.test("memory: the console ring stays near its 16 MiB cap under 4 MiB Pushes over 5 series", async () => {
  assertRetainedBelow(await probe("ring"), 16 * MiB);
});
