/**
 * Reliability scenario 6: scrape targets that hang, return HTML, return huge bodies, close
 * mid-body or redirect in a loop are each marked down with a clear reason, and a healthy
 * target next to them is scraped on time.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startSink } from "../support/strict_sink.ts";
import { Profcol, tempConfig } from "../support/process.ts";
import { report } from "./harness.ts";

const goroutine = Deno.readFileSync(
  new URL("../../pprof/testdata/goroutine.pb.gz", import.meta.url),
);

interface Target {
  address: string;
  close(): Promise<void>;
}

function serve(handler: (req: Request) => Response | Promise<Response>): Target {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  return { address: `127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** A raw TCP target that promises a long body, sends a little of it, and hangs up. */
function closesMidBody(): Target {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          await conn.read(new Uint8Array(4096));
          await conn.write(new TextEncoder().encode(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
          ));
          await conn.write(goroutine.subarray(0, 200));
        } catch {
          // The client may have gone.
        } finally {
          conns.delete(conn);
          conn.close();
        }
      })();
    }
  })().catch(() => {});
  return {
    address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await loop;
    },
  };
}

Deno.test("reliability 6: faulty scrape targets are down with a reason; a healthy one stays on time", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  let release!: () => void;
  const hung = new Promise<void>((r) => (release = r));
  const targets: Record<string, Target> = {
    healthy: serve(() =>
      new Response(goroutine as BodyInit, {
        headers: { "content-type": "application/octet-stream" },
      })
    ),
    hangs: serve(async () => {
      await hung;
      return new Response(goroutine as BodyInit);
    }),
    html: serve(() =>
      new Response("<html><body>Please log in</body></html>", {
        headers: { "content-type": "text/html" },
      })
    ),
    huge: serve(() => new Response(new Uint8Array(3 * 1024 * 1024).fill(0x0a) as BodyInit)),
    closes_mid_body: closesMidBody(),
    redirect_loop: serve((req) =>
      new Response(null, { status: 302, headers: { location: new URL(req.url).pathname } })
    ),
  };
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel6-" });
  const list = Object.entries(targets).map(([name, t]) =>
    `      - { __address__: "${t.address}", target: ${name} }`
  ).join("\n");
  const config = `receivers:
  pyroscope.scrape/apps:
    targets:
${list}
    scrape_interval: 1s
    scrape_timeout: 500ms
    body_size_limit: 1MiB
    profiling_config:
      profile.process_cpu: { enabled: false }
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.mutex: { enabled: false }
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${sink.url}
service:
  pipelines:
    profiles: { receivers: [pyroscope.scrape/apps], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    await new Promise((r) => setTimeout(r, 5_500));
    const statuses = await (await fetch(`${admin}/api/v1/targets`)).json() as {
      labels: Record<string, string>;
      health: string;
      last_error: string;
    }[];
    const byName = new Map(statuses.map((s) => [s.labels.target!, s]));
    const healthyArrivals = sink.pushes.map((p) => p.receivedAt);
    const gaps = healthyArrivals.slice(1).map((t, i) => t - healthyArrivals[i]!);
    const figures: Record<string, string | number> = {
      healthy_profiles: healthyArrivals.length,
      worst_gap_ms: Math.max(0, ...gaps),
    };
    for (const [name, status] of byName) figures[name] = `${status.health}`;
    report("6 scrape faults", figures);
    for (const [name, status] of byName) {
      console.log(`  ${name}: ${status.health} — ${status.last_error}`);
    }
    assertEquals(byName.get("healthy")?.health, "up");
    assert(healthyArrivals.length >= 4, `healthy target scraped ${healthyArrivals.length} times`);
    assert(Math.max(...gaps) < 1600, `a healthy scrape came ${Math.max(...gaps)} ms late`);
    assert(sink.pushes.every((p) => p.labels.target === "healthy"));
    // Each cause named as it is, with the URL scraped (the port is each target's own).
    const url = (name: string) =>
      `http://${targets[name]!.address}/debug/pprof/goroutine`.replace(
        /[.*+?^${}()|[\]\\]/g,
        "\\$&",
      );
    const expectations: Record<string, RegExp> = {
      hangs: new RegExp(`^scrape of goroutine profile from ${url("hangs")} timed out after 500ms$`),
      html: new RegExp(
        `^goroutine profile from ${url("html")} answered text/html \\(an HTML page: ` +
          '"<html><body>Please log in</body></html>"\\) where a pprof profile was expected$',
      ),
      huge: new RegExp(
        `^goroutine profile from ${url("huge")} is larger than body_size_limit \\(1048576 ` +
          "bytes\\); raise body_size_limit$",
      ),
      closes_mid_body: new RegExp(
        `^reading goroutine profile from ${url("closes_mid_body")} failed: error reading a body`,
      ),
      redirect_loop: new RegExp(
        `^scrape of goroutine profile from ${url("redirect_loop")} failed: .*Maximum number of ` +
          "redirects \\(20\\) reached$",
      ),
    };
    assertEquals(
      Object.fromEntries(
        Object.keys(expectations).map((name) => [name, byName.get(name)?.health]),
      ),
      Object.fromEntries(Object.keys(expectations).map((name) => [name, "down"])),
    );
    for (const [name, pattern] of Object.entries(expectations)) {
      assertMatch(byName.get(name)!.last_error, pattern, `${name}'s cause`);
    }
  } finally {
    release();
    await proc.kill();
    for (const target of Object.values(targets)) await target.close();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
