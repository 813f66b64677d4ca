/**
 * The example config's self-scrape (`pyroscope.scrape` of the collector's own
 * `/debug/pprof/profile`) keeps the CPU profiler busy most of the time; a user's manual CPU
 * profiles, two of them overlapping, still get valid pprof, and the self-scrape stays up.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";
import { gunzip } from "../pprof/gzip.ts";
import { decodeProfile } from "../pprof/profile.ts";
import { stringAt } from "./support/pprof_strings.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface Target {
  component_id: string;
  profile_type: string;
  health: string;
  last_error: string;
  last_scrape: string | null;
}

Deno.test("self-scrape: manual CPU profiles overlapping the self-scrape all get pprof; the self-scrape stays up", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-self-" });
  const port = freePort();
  const path = tempConfig(
    `receivers:
  pyroscope.scrape/self:
    targets: [{ __address__: "127.0.0.1:${port}", service_name: profcol }]
    scrape_interval: 3s
    profiling_config:
      profile.process_cpu: { enabled: true }
      profile.memory: { enabled: false }
      profile.block: { enabled: false }
      profile.goroutine: { enabled: false }
      profile.mutex: { enabled: false }
exporters:
  file: { directory: ${dir}/out }
service:
  pipelines:
    profiles: { receivers: [pyroscope.scrape/self], exporters: [file] }
  telemetry:
    http: { listen_address: 127.0.0.1, listen_port: ${port} }
`,
    dir,
  );
  const proc = new Profcol(["run", "--config", path], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    const cpuTarget = async () =>
      ((await (await fetch(`${admin}/api/v1/targets`)).json()) as Target[])
        .find((t) => t.profile_type === "process_cpu");
    const scrapedAfter = async (since: number) => {
      for (let i = 0; i < 150; i++) {
        const target = await cpuTarget();
        // Absent until the scrape component has started (its worker threads load first).
        if (target?.last_scrape && Date.parse(target.last_scrape) > since) return target;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the self-scrape did not run");
    };
    assertEquals((await scrapedAfter(0)).health, "up");
    // Two manual profiles, the second overlapping the first, while the self-scrape samples too.
    const manual = async (delayMs: number) => {
      await new Promise((r) => setTimeout(r, delayMs));
      const response = await fetch(`${admin}/debug/pprof/profile?seconds=2`);
      assertEquals(response.status, 200, await response.clone().text());
      const profile = decodeProfile(
        gunzip(new Uint8Array(await response.arrayBuffer()), { maxBytes: 1 << 26 }),
      );
      return profile.sampleType.map((t) => stringAt(profile, t.type, "?"));
    };
    const started = Date.now();
    const types = await Promise.all([manual(0), manual(500)]);
    assertEquals(types, [["samples", "cpu"], ["samples", "cpu"]]);
    const after = await scrapedAfter(started + 2500);
    assertEquals([after.health, after.last_error], ["up", ""]);
    assert(proc.stderr.includes("admin server listening"));
  } finally {
    await proc.kill();
    Deno.removeSync(dir, { recursive: true });
  }
});
