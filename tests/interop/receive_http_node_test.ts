/**
 * Interop with a real SDK: `@pyroscope/nodejs` profiles a small Node program and uploads to
 * `pyroscope.receive_http` (`POST /ingest?format=pprof`); the profiles come out of the file
 * exporter with the SDK's labels and open in `go tool pprof`.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { Profcol, tempConfig } from "../support/process.ts";

const peerDir = new URL("./node_peer/", import.meta.url).pathname;
let sdkInstalled = false;
try {
  sdkInstalled = Deno.statSync(`${peerDir}node_modules/@pyroscope/nodejs/package.json`).isFile;
} catch {
  // Not installed.
}
const ignore = skipUnlessPeer("node", "@pyroscope/nodejs uploads to receive_http") ||
  skipUnlessPeer("go", "go tool pprof reads what the file exporter wrote") ||
  (() => {
    if (sdkInstalled) return false;
    const message = "@pyroscope/nodejs is not installed in tests/interop/node_peer " +
      "(run: npm ci --prefix tests/interop/node_peer)";
    if (Deno.env.get("PROFCOL_REQUIRE_PEERS") === "1") throw new Error(message);
    console.warn(`SKIPPED: ${message}`);
    return true;
  })();

interface IndexLine {
  kind: string;
  labels: Record<string, string>;
  file: string;
  query: [string, string][];
}

Deno.test({
  name: "interop: @pyroscope/nodejs → receive_http → file exporter → go tool pprof",
  ignore,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "profcol-node-" });
    const config = `receivers:
  pyroscope.receive_http/sdk:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  file: { directory: ${dir}/profiles }
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/sdk], exporters: [file] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
    const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
    try {
      const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
      const node = await new Deno.Command("node", {
        args: ["profile_app.cjs"],
        cwd: peerDir,
        env: { PYROSCOPE_URL: url, RUN_MS: "3000", DEBUG: "pyroscope" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const sdkLog = new TextDecoder().decode(node.stderr);
      assert(node.success, `the Node program failed:\n${sdkLog}`);
      assert(!/rejected data ingest/i.test(sdkLog), `the SDK saw a rejection:\n${sdkLog}`);

      let lines: IndexLine[] = [];
      for (let i = 0; i < 100 && lines.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          lines = Deno.readTextFileSync(`${dir}/profiles/index.jsonl`).trim().split("\n")
            .map((line) => JSON.parse(line));
        } catch {
          // Not written yet.
        }
      }
      assert(lines.length >= 2, `expected at least 2 profiles, got ${lines.length}\n${sdkLog}`);
      for (const line of lines) {
        assertEquals(line.kind, "ingest");
        assertEquals(line.labels.__name__?.startsWith("node-interop"), true, line.labels.__name__);
        assertEquals(line.labels.team, "interop");
        assertEquals(line.labels.region, "loopback");
        assertEquals(line.labels["otel.scope.name"], "com.grafana.pyroscope/nodejs");
        assertEquals(line.labels.service_name?.startsWith("node-interop"), true);
        const params = Object.fromEntries(line.query);
        assertEquals([params.format, params.spyName], ["pprof", "nodespy"]);
        const raw = await goToolPprofRaw(`${dir}/profiles/${line.file}`);
        assert(raw.includes("Samples:"), raw.slice(0, 300));
      }
    } finally {
      await proc.kill();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
