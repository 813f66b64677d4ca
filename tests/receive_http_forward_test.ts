/**
 * The docs/spec/pyroscope-wire.md §10 round trip through a real collector: a multipart upload shaped like the Go
 * SDK's (`profile` + `sample_type_config`) goes receive_http → pyroscope.write (external label
 * `cluster=c1`) → the strict sink. The body and Content-Type arrive byte-identical, every
 * query parameter is kept, and `name` becomes `myapp{cluster=c1,env=prod,service_name=myapp}`.
 */

import { assertEquals } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";
import { startSink } from "./support/strict_sink.ts";

const profile = Deno.readFileSync(new URL("../pprof/testdata/allocs.pb.gz", import.meta.url));

function goSdkMultipart(boundary: string): Uint8Array {
  const enc = new TextEncoder();
  const part = (name: string, filename: string, data: Uint8Array) => [
    ...enc.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    ),
    ...data,
    ...enc.encode("\r\n"),
  ];
  const config = enc.encode(
    '{"alloc_objects":{"units":"objects"},"alloc_space":{"units":"bytes"},' +
      '"inuse_objects":{"units":"objects","aggregation":"average"},' +
      '"inuse_space":{"units":"bytes","aggregation":"average"}}',
  );
  return new Uint8Array([
    ...part("profile", "profile.pprof", profile),
    ...part("sample_type_config", "sample_type_config.json", config),
    ...enc.encode(`--${boundary}--\r\n`),
  ]);
}

Deno.test("receive_http → pyroscope.write: a Go-SDK multipart upload is forwarded as docs/spec/pyroscope-wire.md §10 says", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-forward-" });
  const config = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/out:
    external_labels: { cluster: c1 }
    endpoint:
      - url: ${sink.url}
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
  try {
    const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
    const boundary = "d0e9c8b7a6f5e4d3c2b1a0";
    const body = goSdkMultipart(boundary);
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const query = "aggregationType=sum&from=1700000000000000000&name=myapp%7Benv%3Dprod%7D" +
      "&sampleRate=100&spyName=gospy&units=samples&until=1700000010000000000&custom=kept";
    const response = await fetch(`${url}/ingest?${query}`, {
      method: "POST",
      headers: { "content-type": contentType, "x-scope-orgid": "team-go" },
      body: body as BodyInit,
    });
    assertEquals(response.status, 200, await response.text());
    await sink.waitFor(1, 10_000);
    const got = sink.ingests[0]!;
    assertEquals(got.name, "myapp{cluster=c1,env=prod,service_name=myapp}");
    // Every byte (the structural assertEquals compares all of them, not a printed prefix).
    assertEquals(got.body.byteLength, body.byteLength, "the body length is unchanged");
    assertEquals(got.body, body, "the body is byte-identical");
    assertEquals(got.contentType, [contentType]);
    assertEquals(got.tenant, "team-go");
    // Every parameter, once each, in the sorted order Go's url.Values.Encode writes.
    assertEquals(got.query, [
      ["aggregationType", "sum"],
      ["custom", "kept"],
      ["from", "1700000000000000000"],
      ["name", "myapp{cluster=c1,env=prod,service_name=myapp}"],
      ["sampleRate", "100"],
      ["spyName", "gospy"],
      ["units", "samples"],
      ["until", "1700000010000000000"],
    ]);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
