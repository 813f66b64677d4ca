/**
 * pyroscope.write delivery against the strict sink over real sockets, through a real collector
 * process (receive_http → pyroscope.write): an outage then recovery delivers every accepted
 * profile exactly once; SIGKILL during an outage with the spool on loses nothing; 429 with
 * Retry-After is honoured; a 400 is dropped at once and counted.
 */

import { deliveredNumbers, pushNumbered, startGateway } from "./support/gateway.ts";
import { assert, assertEquals } from "./support/assert.ts";

import { startSink } from "./support/strict_sink.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { LabelSet } from "../core/labels.ts";
import { profileBytes } from "./support/profiles.ts";

function config(sinkUrl: string, extra = "", endpointExtra = ""): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${sinkUrl}
        min_backoff_period: 50ms
        max_backoff_period: 200ms
        max_backoff_retries: 0
${endpointExtra}
${extra}
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`;
}

Deno.test("write: endpoint down, then back — every accepted profile arrives exactly once", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-write-" });
  await sink.down();
  const { proc, url } = await startGateway(dir, config(sink.url));
  try {
    for (let n = 0; n < 30; n++) assertEquals(await pushNumbered(url, n), 200);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(sink.pushes.length, 0);
    await sink.up();
    await sink.waitFor(30, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(deliveredNumbers(sink), Array.from({ length: 30 }, (_, i) => i));
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("write: SIGKILL during an outage with the spool on — nothing acknowledged is lost", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-spool-" });
  const text = config(sink.url, `    queue:\n      spool: { directory: ${dir}/spool }`);
  await sink.down();
  const first = await startGateway(dir, text);
  try {
    for (let n = 0; n < 25; n++) assertEquals(await pushNumbered(first.url, n), 200);
    first.proc.child.kill("SIGKILL");
    await first.proc.exit();
  } finally {
    await first.proc.kill();
  }
  await sink.up();
  const second = await startGateway(dir, text);
  try {
    await sink.waitFor(25, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(deliveredNumbers(sink), Array.from({ length: 25 }, (_, i) => i));
  } finally {
    await second.proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("write: 429 with Retry-After: 2 — no retry before 2 s", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  sink.failNext({
    kind: "connect_error",
    code: "resource_exhausted",
    headers: { "retry-after": "2" },
  });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-429-" });
  const { proc, url } = await startGateway(dir, config(sink.url));
  try {
    assertEquals(await pushNumbered(url, 1), 200);
    await sink.waitFor(1, 15_000);
    const pushes = sink.requests.filter((r) => r.path.endsWith("/Push"));
    assertEquals(pushes.map((r) => r.status), [429, 200]);
    const gap = pushes[1]!.receivedAt - pushes[0]!.receivedAt;
    assert(gap >= 2000, `retried after ${gap} ms`);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("write: a 400 is dropped at once with a counted reason", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  sink.failNext({ kind: "connect_error", code: "invalid_argument", message: "bad" });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-400-" });
  const { proc, url, admin } = await startGateway(dir, config(sink.url));
  try {
    assertEquals(await pushNumbered(url, 1), 200);
    let metrics = "";
    for (let i = 0; i < 100 && !metrics.includes('reason="http_400"'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await (await fetch(`${admin}/metrics`)).text();
    }
    assert(
      /profcol_exporter_dropped_profiles_total\{[^}]*reason="http_400"[^}]*\} 1/.test(metrics),
      "drop counted with reason http_400",
    );
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(sink.requests.filter((r) => r.path.endsWith("/Push")).length, 1);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("write: a reload that changes pyroscope.write hands the spool over without loss or duplicates", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-reload-spool-" });
  const spool = `    queue:\n      spool: { directory: ${dir}/spool }`;
  const path = `${dir}/config.yaml`;
  await sink.down();
  const { proc, url, admin } = await startGateway(dir, config(sink.url, spool));
  try {
    for (let n = 0; n < 20; n++) assertEquals(await pushNumbered(url, n), 200);
    Deno.writeTextFileSync(
      path,
      config(sink.url, `    external_labels: { cluster: c2 }\n${spool}`),
    );
    const reload = await fetch(`${admin}/-/reload`, { method: "POST" });
    assertEquals(reload.status, 200, await reload.text());
    for (let n = 20; n < 30; n++) assertEquals(await pushNumbered(url, n), 200);
    await sink.up();
    await sink.waitFor(30, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(deliveredNumbers(sink), Array.from({ length: 30 }, (_, i) => i));
    const relabeled = sink.pushes.filter((p) => p.labels.cluster === "c2").map((p) => p.labels.n);
    assertEquals(relabeled.length, 10, "items accepted after the reload carry the new labels");
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("write: tenants travel from X-Scope-OrgID at the receiver to the endpoint, one request per tenant", async () => {
  const sink = await startSink({
    validateTimeWindow: false,
    requireTenant: true,
    gzipEmptySuccess: true,
  });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-tenant-" });
  const { proc, url } = await startGateway(dir, config(sink.url));
  try {
    for (const [n, tenant] of [[1, "team-a"], [2, "team-b"], [3, "team-a"]] as const) {
      const response = await fetch(`${url}/push.v1.PusherService/Push`, {
        method: "POST",
        headers: { "content-type": "application/proto", "x-scope-orgid": tenant },
        body: encodePushRequest([{
          labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc", n: String(n) }),
          samples: [{ rawProfile: profileBytes(n) }],
        }]) as BodyInit,
      });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    }
    await sink.waitFor(3, 10_000);
    const byTenant = sink.pushes.map((p) => `${p.labels.n}:${p.tenant}`).sort();
    assertEquals(byTenant, ["1:team-a", "2:team-b", "3:team-a"]);
    assert(
      sink.pushes.every((p) => !("__tenant_id__" in p.labels)),
      "the tenant label is not sent",
    );
    assert(sink.requests.every((r) => r.status === 200), "gzipped empty answers are success");
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
