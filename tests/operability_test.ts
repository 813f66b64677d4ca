/**
 * Day-2 operability through real `main.ts run` processes (issue 13, items 1–3):
 * - a down `pyroscope.write` endpoint is a warn line with the root cause at the first failed
 *   attempt, a reminder at most once per interval with counts, one info line on recovery, and
 *   `health: failing` on `/api/v1/status`; a down scrape target the same;
 * - a reload that changes `pyroscope.write` answers at once and hands the queue over: nothing
 *   dropped, every profile delivered exactly once when the endpoint is back; "config reloaded"
 *   is logged once, each component as started, kept or stopped;
 * - SIGTERM with the endpoint down says how many profiles it gave up.
 *
 * The once-a-minute interval is shortened with the test-only `PROFCOL_LOG_REPEAT_INTERVAL`.
 */

import { deliveredNumbers, pushNumbered, startGateway } from "./support/gateway.ts";
import { assert, assertEquals } from "./support/assert.ts";
import type { Profcol } from "./support/process.ts";
import { startSink } from "./support/strict_sink.ts";
import { profileBytes } from "./support/profiles.ts";

const REPEAT_MS = 500;
const ENV = { PROFCOL_LOG_REPEAT_INTERVAL: `${REPEAT_MS}ms` };

/** One parsed logfmt line. */
type Line = Record<string, string>;

function parseLogfmt(line: string): Line {
  const out: Line = {};
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const match of line.matchAll(re)) {
    const raw = match[2]!;
    out[match[1]!] = raw.startsWith('"') ? JSON.parse(raw) : raw;
  }
  return out;
}

function lines(proc: Profcol): Line[] {
  return proc.stderr.split("\n").filter((l) => l.startsWith("ts=")).map(parseLogfmt);
}

function withMsg(proc: Profcol, msg: string | RegExp): Line[] {
  return lines(proc).filter((l) => typeof msg === "string" ? l.msg === msg : msg.test(l.msg ?? ""));
}

function config(sinkUrl: string, options: { extra?: string; receivers?: string } = {}): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
${options.receivers ?? ""}
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${sinkUrl}
        min_backoff_period: 50ms
        max_backoff_period: 100ms
        max_backoff_retries: 0
${options.extra ?? ""}
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in${options.receivers ? ", pyroscope.scrape/app" : ""}]
      exporters: [pyroscope.write/out]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`;
}

interface EndpointStatus {
  endpoint: string;
  health: string;
  failing_since: string | null;
  consecutive_failures: number;
  last_error: string | null;
  queued_profiles: number;
}

async function endpoints(admin: string): Promise<EndpointStatus[]> {
  const status = await (await fetch(`${admin}/api/v1/status`)).json();
  return status.published.exporters.flatMap((e: { endpoints: EndpointStatus[] }) => e.endpoints);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("operability: a down endpoint and a down scrape target are loud, then quiet, then recovered", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-ops-" });
  await sink.down();
  const target = `127.0.0.1:${freePort()}`;
  const scrape = `  pyroscope.scrape/app:
    targets: [{ __address__: "${target}" }]
    scrape_interval: 100ms
    scrape_timeout: 1s
    profiling_config:
      profile.process_cpu: { enabled: false }
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
`;
  const { proc, url, admin } = await startGateway(
    dir,
    config(sink.url, { receivers: scrape }),
    ENV,
  );
  try {
    for (let n = 0; n < 3; n++) assertEquals(await pushNumbered(url, n), 200);
    await proc.waitFor(/msg="endpoint failing"/);
    await proc.waitFor(/msg="scrape target down"/);
    // Two reminder intervals and a bit.
    await proc.waitFor(/msg="endpoint still failing"[\s\S]*msg="endpoint still failing"/, 5_000);
    await proc.waitFor(
      /msg="scrape target still down"[\s\S]*msg="scrape target still down"/,
      5_000,
    );

    const [failing] = withMsg(proc, "endpoint failing");
    assertEquals(
      [
        failing!.level,
        failing!.component_id,
        failing!.endpoint,
        failing!.cause,
        failing!.failed_attempts,
      ],
      ["warn", "pyroscope.write/out", sink.url, "connection refused", "1"],
    );
    const reminders = withMsg(proc, "endpoint still failing");
    for (const line of reminders) {
      assertEquals([line.level, line.cause, line.queued_profiles], [
        "warn",
        "connection refused",
        "3",
      ]);
      assert(
        Number(line.failed_attempts) > 1,
        `counts the attempts since the last line: ${line.failed_attempts}`,
      );
    }
    const gaps = reminders.slice(1).map((l, i) =>
      Date.parse(l.ts!) - Date.parse(reminders[i]!.ts!)
    );
    assert(gaps.every((gap) => gap >= REPEAT_MS), `at most one line per interval: ${gaps}`);
    // Not a line per attempt: the attempts run every ~100 ms.
    const elapsed = Date.parse(reminders.at(-1)!.ts!) - Date.parse(failing!.ts!);
    assert(
      reminders.length <= elapsed / REPEAT_MS + 1,
      `${reminders.length} reminders in ${elapsed} ms`,
    );

    const [down] = withMsg(proc, "scrape target down");
    assertEquals([down!.level, down!.url!.includes(target), down!.cause], [
      "warn",
      true,
      "connection refused",
    ]);
    const stillDown = withMsg(proc, "scrape target still down");
    assert(
      stillDown.every((l) => l.level === "warn" && Number(l.failed_scrapes) >= 2),
      JSON.stringify(stillDown),
    );
    assertEquals(withMsg(proc, "scrape failed").length, 0, "per-scrape failures stay at debug");

    const [status] = await endpoints(admin);
    assertEquals(
      [status!.health, status!.last_error, status!.queued_profiles],
      ["failing", "connection refused", 3],
    );
    assert(
      status!.consecutive_failures > 1 && status!.failing_since !== null,
      JSON.stringify(status),
    );
    // The status page (at /status once the operator console serves /).
    let response = await fetch(`${admin}/status`);
    if (!response.ok) {
      await response.body?.cancel();
      response = await fetch(`${admin}/`);
    }
    const page = await response.text();
    assert(
      page.includes("<td>failing</td>") && page.includes("connection refused"),
      "the page shows it",
    );

    await sink.up();
    await sink.waitFor(3, 10_000);
    await proc.waitFor(/msg="endpoint recovered"/);
    const [recovered] = withMsg(proc, "endpoint recovered");
    assertEquals([recovered!.level, recovered!.endpoint, recovered!.waited_profiles], [
      "info",
      sink.url,
      "3",
    ]);
    assert(/^\d+(\.\d+)?m?s$/.test(recovered!.outage!), recovered!.outage);
    const [after] = await endpoints(admin);
    assertEquals([after!.health, after!.failing_since, after!.consecutive_failures], [
      "ok",
      null,
      0,
    ]);
    assertEquals(deliveredNumbers(sink), [0, 1, 2]);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("operability: a reload that changes pyroscope.write answers at once and hands the queue over", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-ops-reload-" });
  const path = `${dir}/config.yaml`;
  await sink.down();
  const { proc, url, admin } = await startGateway(dir, config(sink.url), ENV);
  try {
    for (let n = 0; n < 20; n++) assertEquals(await pushNumbered(url, n), 200);
    await proc.waitFor(/msg="endpoint failing"/);
    Deno.writeTextFileSync(
      path,
      config(sink.url, { extra: "    external_labels: { cluster: c2 }" }),
    );
    const started = performance.now();
    const reload = await fetch(`${admin}/-/reload`, { method: "POST" });
    const took = performance.now() - started;
    assertEquals([reload.status, await reload.text()], [200, "config reloaded\n"]);
    assert(took < 1000, `the reload answered in ${Math.round(took)} ms`);
    for (let n = 20; n < 30; n++) assertEquals(await pushNumbered(url, n), 200);

    const reloaded = withMsg(proc, "config reloaded");
    assertEquals(reloaded.map((l) => [l.level, l.started, l.stopped, l.kept]), [
      ["info", "1", "1", "1"],
    ]);
    const handed = withMsg(proc, "queued profiles handed over to the reloaded exporter");
    assertEquals(handed.map((l) => [l.level, l.component_id, l.endpoint, l.profiles, l.via]), [
      ["info", "pyroscope.write/out", sink.url, "20", "memory"],
    ]);
    // The replaced instance stops once its requests in flight are done (at once: refused).
    await proc.waitFor(/msg="component stopped" component_id=pyroscope.write\/out/);
    const lifecycle = lines(proc).filter((l) => /^component (started|kept|stopped)$/.test(l.msg!))
      .map((l) => `${l.level} ${l.msg} ${l.component_id}`);
    assertEquals(lifecycle, [
      "info component started pyroscope.write/out",
      "info component started pyroscope.receive_http/in",
      // the reload
      "info component started pyroscope.write/out",
      "info component kept pyroscope.receive_http/in",
      "info component stopped pyroscope.write/out",
    ]);

    await sink.up();
    await sink.waitFor(30, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(deliveredNumbers(sink), Array.from({ length: 30 }, (_, i) => i));
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert(
      !/profcol_exporter_dropped_profiles_total\{[^}]*\} [1-9]/.test(metrics),
      "nothing dropped",
    );
    assertEquals(withMsg(proc, /^gave up/).length, 0);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("operability: SIGTERM with the endpoint down reports the profiles it gave up", async () => {
  // Nothing listens on port 2 (privileged, outside the ephemeral range every test server binds
  // in, and not on fetch's blocked-port list), so every attempt is refused. A sink taken down
  // would free its port, and under `--parallel` another test's server can take it and hang the
  // attempts instead (seen once in a clean-clone CI run).
  const endpoint = "http://127.0.0.1:2";
  const dir = Deno.makeTempDirSync({ prefix: "profcol-ops-term-" });
  const { proc, url } = await startGateway(
    dir,
    config(endpoint, { extra: "    queue: { drain_timeout: 300ms }" }),
    ENV,
  );
  try {
    let bytes = 0;
    for (let n = 0; n < 5; n++) {
      const raw = profileBytes(n);
      assertEquals(await pushNumbered(url, n, raw), 200);
      bytes += raw.byteLength;
    }
    await proc.waitFor(/msg="endpoint failing"/);
    proc.child.kill("SIGTERM");
    const status = await proc.exit();
    assertEquals(status.code, 0, proc.stderr);
    const gaveUp = withMsg(proc, /^gave up/);
    assertEquals(gaveUp.map((l) => [l.level, l.msg, l.reason, l.profiles, l.last_error]), [
      [
        "warn",
        `gave up 5 profiles (${bytes} bytes) queued for ${endpoint}`,
        "shutdown",
        "5",
        "connection refused",
      ],
    ]);
    const stopped = withMsg(proc, "component stopped").map((l) => l.component_id).sort();
    assertEquals(stopped, ["pyroscope.receive_http/in", "pyroscope.write/out"]);
  } finally {
    await proc.kill();
    Deno.removeSync(dir, { recursive: true });
  }
});
