/**
 * Discovery health you can alert on, through a real collector process: Kubernetes discovery
 * refused with 401 by the API stand-in, HTTP discovery of a port where nothing listens and a
 * file_sd file that is not YAML make their scrape components `degraded` on
 * `/api/v1/components` with the error as the reason; `profcol_discovery_up` is 0,
 * `profcol_discovery_errors_total` counts by reason, and `profcol_scrape_targets` exists at 0.
 * A working static component stays `ok` with its discovery up, and readiness is unaffected.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { startKubeApi } from "./support/kube_api.ts";
import { samplesOf } from "./support/metrics_text.ts";
import { Profcol, tempConfig } from "./support/process.ts";

/** A port on 127.0.0.1 where nothing listens (bound then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface ComponentJson {
  id: string;
  health: string;
  reason?: string;
}

Deno.test("discovery failures make the scrape component degraded, with metrics and zero targets", async () => {
  const kube = startKubeApi({ token: "right" });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-discovery-health-" });
  Deno.writeTextFileSync(`${dir}/targets.yaml`, "- targets: [unclosed\n");
  const pprof = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("not a profile"),
  );
  const httpSd = `http://127.0.0.1:${closedPort()}/targets`;
  const text = `receivers:
  pyroscope.scrape/k8s:
    kubernetes_sd_configs: [{ role: pod, api_server: "${kube.url}", bearer_token: wrong }]
  pyroscope.scrape/http:
    http_sd_configs: [{ url: "${httpSd}", refresh_interval: 100ms }]
  pyroscope.scrape/files:
    file_sd_configs: [{ files: ["${dir}/targets.yaml"] }]
  pyroscope.scrape/static:
    targets: [{ __address__: "127.0.0.1:${pprof.addr.port}", service_name: app }]
    scrape_interval: 1h
exporters:
  file: { directory: ${dir}/profiles }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.scrape/k8s, pyroscope.scrape/http, pyroscope.scrape/files, pyroscope.scrape/static]
      exporters: [file]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  const proc = new Profcol(["run", "--config", tempConfig(text, dir)], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    let components: ComponentJson[] = [];
    for (let i = 0; i < 250; i++) {
      const body = await (await fetch(`${admin}/api/v1/components`)).json();
      components = body.components;
      const scrapes = components.filter((c) => c.id.startsWith("pyroscope.scrape/"));
      if (scrapes.filter((c) => c.health === "degraded").length === 3) break;
      await new Promise((r) => setTimeout(r, 40));
    }
    const health = Object.fromEntries(
      components.filter((c) => c.id.startsWith("pyroscope.scrape/"))
        .map((c) => [c.id, [c.health, c.reason ?? ""] as [string, string]]),
    );
    assertEquals(health["pyroscope.scrape/k8s"], [
      "degraded",
      `kubernetes_sd discovery failing: Listing pods at ${kube.url}/api/v1/pods failed: ` +
      `HTTP 401 Unauthorized: Unauthorized; check the token or client certificate`,
    ]);
    assertEquals(health["pyroscope.scrape/http"]![0], "degraded");
    assert(
      health["pyroscope.scrape/http"]![1].startsWith(`http_sd discovery failing: GET ${httpSd}: `),
      health["pyroscope.scrape/http"]![1],
    );
    assertEquals(health["pyroscope.scrape/files"]![0], "degraded");
    assert(
      health["pyroscope.scrape/files"]![1].startsWith(
        `file_sd discovery failing: ${dir}/targets.yaml: `,
      ),
      health["pyroscope.scrape/files"]![1],
    );
    assertEquals(health["pyroscope.scrape/static"], ["ok", ""]);

    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const value = (name: string, labels: Record<string, string>) => {
      const found = samplesOf(metrics, name, labels);
      assertEquals(found.length, 1, `${name} ${JSON.stringify(labels)}:\n${metrics}`);
      return found[0]!.value;
    };
    const up = (id: string, mechanism: string) =>
      value("profcol_discovery_up", { component_id: id, mechanism });
    assertEquals(
      [
        up("pyroscope.scrape/k8s", "kubernetes_sd"),
        up("pyroscope.scrape/http", "http_sd"),
        up("pyroscope.scrape/files", "file_sd"),
        up("pyroscope.scrape/static", "static"),
      ],
      [0, 0, 0, 1],
    );
    const errors = (id: string, mechanism: string, reason: string) =>
      value("profcol_discovery_errors_total", { component_id: id, mechanism, reason });
    assert(errors("pyroscope.scrape/k8s", "kubernetes_sd", "unauthorized") >= 1);
    assert(errors("pyroscope.scrape/http", "http_sd", "unreachable") >= 1);
    assert(errors("pyroscope.scrape/files", "file_sd", "invalid_response") >= 1);
    assertEquals(
      value("profcol_discovery_targets", {
        component_id: "pyroscope.scrape/static",
        mechanism: "static",
      }),
      1,
    );
    // The target gauge exists at 0 where nothing is discovered (so `== 0` alerts can fire).
    assertEquals(
      samplesOf(metrics, "profcol_scrape_targets", { component_id: "pyroscope.scrape/k8s" }),
      [{
        name: "profcol_scrape_targets",
        labels: { component_id: "pyroscope.scrape/k8s", job: "pyroscope.scrape.k8s" },
        value: 0,
      }],
    );
    // Readiness is about the process, not about what it discovers.
    const ready = await fetch(`${admin}/-/ready`);
    await ready.body?.cancel();
    assertEquals(ready.status, 200);
  } finally {
    await proc.kill();
    await pprof.shutdown();
    await kube.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
