/**
 * Graceful shutdown on a real subprocess: SIGTERM/SIGINT stop receivers, let exporters flush
 * what they accepted, exit 0; an exporter that cannot finish within shutdown_timeout makes
 * the process exit 1 once the deadline passes.
 */

import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";

const config = (dir: string, extra = "", timeout = "5s") =>
  `receivers:
  test.receiver/in: {}
exporters:
  test.exporter/out: { output: ${dir}/out.jsonl${extra} }
service:
  pipelines:
    profiles: { receivers: [test.receiver/in], exporters: [test.exporter/out] }
  telemetry: { http: { listen_port: 0 } }
  shutdown_timeout: ${timeout}
`;

async function run(dir: string, text: string) {
  const portFile = `${dir}/push.port`;
  const proc = new Profcol(["run", "--config", tempConfig(text, dir)], {
    env: { PROFCOL_TEST_PUSH_PORT_FILE: portFile },
  });
  await proc.waitFor(/collector started/);
  const port = Deno.readTextFileSync(portFile);
  for (let n = 1; n <= 3; n++) {
    const response = await fetch(`http://127.0.0.1:${port}/push?receiver=test.receiver/in&n=${n}`);
    assertEquals(response.status, 200);
    await response.body?.cancel();
  }
  return proc;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`shutdown: ${signal} flushes accepted items and exits 0`, async () => {
    const dir = Deno.makeTempDirSync({ prefix: "profcol-shutdown-" });
    const proc = await run(dir, config(dir, ", shutdown_delay: 100ms"));
    proc.child.kill(signal);
    const status = await proc.exit();
    assertEquals(status.code, 0, proc.stderr);
    assertStringIncludes(proc.stderr, `msg="shutting down" signal=${signal}`);
    const lines = Deno.readTextFileSync(`${dir}/out.jsonl`).trim().split("\n");
    assertEquals(lines.map((l) => JSON.parse(l).labels.n), ["1", "2", "3"]);
  });
}

Deno.test("shutdown: past shutdown_timeout the process exits 1 and says so", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-shutdown-" });
  const proc = await run(dir, config(dir, ", shutdown_delay: 20s", "200ms"));
  const started = Date.now();
  proc.child.kill("SIGTERM");
  const status = await proc.exit();
  assertEquals(status.code, 1);
  assert(Date.now() - started < 10_000, "exited long before the exporter's 20s");
  assertStringIncludes(proc.stderr, "shutdown deadline passed");
});

Deno.test("run: a config error exits 2; a component failing to start exits 1", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-shutdown-" });
  const bad = new Profcol(["run", "--config", tempConfig(config(dir).replace("5s", "5x"), dir)]);
  assertEquals((await bad.exit()).code, 2);
  assertStringIncludes(bad.stderr, 'service::shutdown_timeout: Cannot parse "5x" as a duration');
  const failing = new Profcol([
    "run",
    "--config",
    tempConfig(
      config(dir).replace("test.receiver/in: {}", "test.receiver/in: { fail_start: true }"),
      dir,
    ),
  ]);
  assertEquals((await failing.exit()).code, 1);
  assertStringIncludes(failing.stderr, "collector failed to start");
  assertStringIncludes(failing.stderr, "port already in use (test)");
});
