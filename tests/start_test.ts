/**
 * `deno task start` on config.example.yaml: the example validates, the collector serves
 * /-/ready (how fast is measured by `deno task bench`, not here) and its first seconds log only a
 * few short info lines (no warn or error). The task runs exactly as a user runs it; an extra
 * `--config` (deep-merged last) only moves the admin port to a free one (and the example's
 * scrape of the collector itself, `pyroscope.scrape/self`, with it), the receiver to a free port
 * and the file exporter to a temp dir, so the test cannot clash with (or scrape) a collector
 * already running on :12345.
 */

import { parse } from "yaml";
import { assert, assertEquals } from "./support/assert.ts";
import { Profcol, runProfcol } from "./support/process.ts";

const root = new URL("../", import.meta.url).pathname;
// A pipeline needs a receiver; an example without one is reported instead of failing.
const example = parse(Deno.readTextFileSync(`${root}config.example.yaml`)) as {
  receivers?: Record<string, { targets?: Record<string, string>[] }>;
  service?: { pipelines?: Record<string, { receivers?: string[] }> };
};
const hasReceiver = Object.values(example.service?.pipelines ?? {}).some((pipeline) =>
  (pipeline.receivers ?? []).length > 0
);
if (!hasReceiver) {
  console.warn("SKIPPED: config.example.yaml has no receiver in its pipelines yet");
}

Deno.test({
  name: "config.example.yaml validates",
  ignore: !hasReceiver,
  async fn() {
    const result = await runProfcol(["validate", "--config", "config.example.yaml"], {
      entry: "main.ts",
    });
    assertEquals(result.code, 0, result.stderr);
    assert(!result.stderr.includes("warning"), result.stderr);
  },
});

/** How long after /-/ready the example run must stay quiet (no warn/error line). */
const QUIET_WINDOW_MS = 3_000;

Deno.test({
  name: "deno task start serves /-/ready, logs only a few short info lines, stops on SIGTERM",
  ignore: !hasReceiver,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "profcol-start-" });
    const override = `${dir}/override.yaml`;
    // The admin port is chosen here, so the example's self-scrape can follow it.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const adminPort = probe.addr.port;
    probe.close();
    const self = example.receivers?.["pyroscope.scrape/self"]?.targets?.[0];
    const selfScrape = self
      ? `, pyroscope.scrape/self: { targets: [{ __address__: "127.0.0.1:${adminPort}", ` +
        `service_name: ${JSON.stringify(self.service_name ?? "profcol")} }] }`
      : "";
    Deno.writeTextFileSync(
      override,
      `exporters: { file: { directory: ${dir}/profiles } }\n` +
        `receivers: { pyroscope.receive_http/local: { http: { listen_port: 0 } }${selfScrape} }\n` +
        `service: { telemetry: { http: { listen_port: ${adminPort} } } }\n`,
    );
    const launched = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "start", "--config", override],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = Profcol.attach(child);
    try {
      const admin = await proc.adminUrl();
      let ready = false;
      while (!ready && performance.now() - launched < 10_000) {
        const response = await fetch(`${admin}/-/ready`).catch(() => undefined);
        ready = response?.status === 200;
        await response?.body?.cancel();
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const elapsed = performance.now() - launched;
      assert(ready, `never ready within 10 s:\n${proc.stderr}`);
      // Speed is the benchmark's business (startup_ready_ms); this only reports it.
      console.log(`ready after ${Math.round(elapsed)} ms`);
      // A quiet first run: a few short info lines, nothing at warn or error in its first seconds.
      await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
      const lines = proc.stderr.split("\n").filter((line) => line.startsWith("ts="));
      assertEquals(lines.filter((line) => !line.includes(" level=info ")), [], proc.stderr);
      assertEquals(lines.filter((line) => line.length > 200), [], proc.stderr);
      // Besides one lifecycle line per component ("component started"): a handful.
      const others = lines.filter((line) => !line.includes(' msg="component started" '));
      assert(others.length <= 5, `${others.length} log lines on a first run:\n${proc.stderr}`);
    } finally {
      // `deno task` forwards SIGTERM to the collector it started.
      child.kill("SIGTERM");
      await proc.exit();
    }
  },
});
