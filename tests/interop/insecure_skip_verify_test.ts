/**
 * `tls_config.insecure_skip_verify` against a real TLS server whose certificate profcol does not
 * trust (tests/support/pki.ts). Deno can turn certificate checks off only per process, so the
 * setting stays refused at validation (core/http/README.md), and the documented way out is
 * checked end to end:
 *
 * 1. `profcol validate` refuses `insecure_skip_verify: true`, naming the runtime flag.
 * 2. Without it, `pyroscope.write` to the untrusted server delivers nothing (certificate error).
 * 3. Started with `--unsafely-ignore-certificate-errors=127.0.0.1` (the setting removed), the
 *    same push is delivered.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { makeTestPki } from "../support/pki.ts";
import { Profcol, runProfcol, tempConfig } from "../support/process.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { LabelSet } from "../../core/labels.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));

function config(sinkUrl: string, skipVerify: boolean): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/tls:
    endpoint:
      - url: ${sinkUrl}
        min_backoff_period: 100ms
        max_backoff_period: 200ms
${skipVerify ? "        tls_config: { insecure_skip_verify: true }\n" : ""}service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/tls] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
}

/** Starts profcol (optionally with extra `deno run` flags) and pushes one profile to it. */
async function runAndPush(configText: string, dir: string, denoFlags: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags,
      "--allow-all",
      "main.ts",
      "run",
      "--config",
      tempConfig(configText, dir),
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const proc = Profcol.attach(child);
  const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
  const body = encodePushRequest([{
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "tls-interop" }),
    samples: [{ rawProfile: fixture("cpu.pb.gz") }],
  }]);
  const response = await fetch(`${url}/push.v1.PusherService/Push`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: body as BodyInit,
  });
  await response.body?.cancel();
  assertEquals(response.status, 200);
  return proc;
}

Deno.test({
  name: "interop: insecure_skip_verify refused; the runtime flag reaches an untrusted TLS server",
  async fn() {
    const pki = await makeTestPki();
    const dir = Deno.makeTempDirSync({ prefix: "profcol-insecure-" });
    let pushes = 0;
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: pki.serverCertPem,
      key: pki.serverKeyPem,
      onListen() {},
      onError: () => new Response(null, { status: 500 }),
    }, async (request) => {
      await request.arrayBuffer();
      if (new URL(request.url).pathname === "/push.v1.PusherService/Push") pushes++;
      return new Response(null, { status: 200, headers: { "content-type": "application/proto" } });
    });
    const sinkUrl = `https://127.0.0.1:${server.addr.port}`;
    try {
      // 1. Refused at validation, with the way out.
      const refused = await runProfcol(
        ["validate", "--config", tempConfig(config(sinkUrl, true), dir)],
        { entry: "main.ts" },
      );
      assertEquals(refused.code, 2, refused.stderr);
      assertStringIncludes(refused.stderr, "insecure_skip_verify");
      assertStringIncludes(refused.stderr, "--unsafely-ignore-certificate-errors");

      // 2. Without the flag, the untrusted certificate stops delivery.
      const strict = await runAndPush(config(sinkUrl, false), dir, []);
      try {
        await new Promise((r) => setTimeout(r, 2500));
        assertEquals(pushes, 0, "nothing crosses an untrusted certificate");
      } finally {
        await strict.kill();
      }
      assert(/certificate|UnknownIssuer|invalid peer/i.test(strict.stderr), strict.stderr);

      // 3. With the runtime flag for that host, the same push is delivered.
      const lax = await runAndPush(config(sinkUrl, false), dir, [
        "--unsafely-ignore-certificate-errors=127.0.0.1",
      ]);
      try {
        const deadline = Date.now() + 10_000;
        while (pushes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assertEquals(pushes, 1, lax.stderr);
      } finally {
        await lax.kill();
      }
    } finally {
      await server.shutdown();
      pki.cleanup();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
