/**
 * A receiver's `tenant.label` is an alias: the tenant from `X-Scope-OrgID` still travels as the
 * canonical `__tenant_id__`, so `pyroscope.write` sends it back as `X-Scope-OrgID` whatever the
 * label is called, and the alias is there for rules. A client's own labels of either name never
 * pass as a tenant.
 */

import { assertEquals } from "./support/assert.ts";
import { startInProcess } from "./support/in_process.ts";
import { startSink } from "./support/strict_sink.ts";
import { LabelSet } from "../core/labels.ts";
import { encodePushRequest } from "../core/wire/push_proto.ts";
import { profileBytes } from "./support/profiles.ts";

function config(sinkUrl: string, tenant = "{ label: __org__ }"): string {
  return `receivers:
  pyroscope.receive_http/sdks:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    tenant: ${tenant}
processors:
  relabel/org:
    rule:
      - source_labels: [__org__]
        regex: "(.+)"
        target_label: org
exporters:
  pyroscope.write/pyroscope:
    endpoint:
      - url: ${sinkUrl}
service:
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  pipelines:
    pushed:
      receivers: [pyroscope.receive_http/sdks]
      processors: [relabel/org]
      exporters: [pyroscope.write/pyroscope]
`;
}

function pushBody(serviceName: string, extra: Record<string, string> = {}): BodyInit {
  return encodePushRequest([{
    labels: LabelSet.from({ __name__: "process_cpu", service_name: serviceName, ...extra }),
    samples: [{ rawProfile: profileBytes(serviceName.length) }],
  }]) as BodyInit;
}

function pusher(url: string) {
  return (body: BodyInit, headers: Record<string, string>) =>
    fetch(`${url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto", ...headers },
      body,
    });
}

Deno.test("tenant.label __org__: X-Scope-OrgID reaches pyroscope.write's X-Scope-OrgID", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const { collector, url } = await startInProcess(config(sink.url));
  try {
    const push = pusher(url);
    const fromHeader = await push(pushBody("api"), { "X-Scope-OrgID": "team-a" });
    assertEquals(fromHeader.status, 200, await fromHeader.text());
    // No header: the labels this client sends under both tenant names are not a tenant.
    const spoofed = await push(
      pushBody("spoof", { __tenant_id__: "evil", __org__: "evil" }),
      {},
    );
    assertEquals(spoofed.status, 200, await spoofed.text());
    const ingest = await fetch(
      `${url}/ingest?name=web&format=pprof`,
      { method: "POST", headers: { "X-Scope-OrgID": "team-b" }, body: profileBytes(9) as BodyInit },
    );
    assertEquals(ingest.status, 200, await ingest.text());
    await sink.waitFor(3);

    assertEquals(
      sink.pushes.map((p) => [p.labels.service_name, p.tenant, p.labels.org]).sort(),
      [["api", "team-a", "team-a"], ["spoof", undefined, undefined]],
    );
    assertEquals(sink.ingests.map((i) => i.tenant), ["team-b"]);
    // Neither tenant label is sent as a series label.
    assertEquals(
      sink.pushes.filter((p) => "__tenant_id__" in p.labels || "__org__" in p.labels).length,
      0,
    );
  } finally {
    await collector.shutdown();
    await sink.close();
  }
});

Deno.test("tenant off: a client's own __tenant_id__ label is not a tenant either", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const { collector, url } = await startInProcess(config(sink.url, "{ enabled: false }"));
  try {
    const res = await pusher(url)(pushBody("spoof", { __tenant_id__: "evil" }), {
      "X-Scope-OrgID": "ignored",
    });
    assertEquals(res.status, 200, await res.text());
    await sink.waitFor(1);
    assertEquals(sink.pushes.map((p) => [p.labels.service_name, p.tenant]), [["spoof", undefined]]);
  } finally {
    await collector.shutdown();
    await sink.close();
  }
});
