/**
 * Interop with connect-go (connectrpc.com/connect v1.21.1), using Go code generated from the
 * project's tests/support/proto/push/v1/push.proto by protoc-gen-go and protoc-gen-connect-go
 * (tests/interop/gopeers): a connect-go client pushes to `pyroscope.receive_http` with the
 * Connect protocol (proto and JSON codecs, gzip) and with gRPC-Web (`connect.WithGRPCWeb()`,
 * proto and JSON, gzip), and profcol's `pyroscope.write` forwards everything to a connect-go
 * server that decodes each request with the generated types.
 *
 * Checked: every push succeeds as connect-go sees it; each series arrives at the connect-go
 * server with its labels and its raw profiles byte-identical (and google/pprof parses them);
 * refusals reach connect-go with the right code and message over Connect and over gRPC-Web
 * (trailers frame); plain gRPC (connect.WithGRPC over h2c) is refused with a message naming
 * Connect and gRPC-Web.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { jsonLines, runGoPeer, skipUnlessGoPeers, startGoServer } from "../support/gopeers.ts";
import { Profcol, tempConfig } from "../support/process.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";

const ignore = skipUnlessGoPeers("connect-go client and server");

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.byteLength; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

interface PushResult {
  ok: boolean;
  code?: string;
  message?: string;
}

interface Received {
  protocol: string;
  content_type: string;
  request: {
    series?: {
      labels?: { name: string; value: string }[];
      samples?: { rawProfile?: string; ID?: string }[];
    }[];
  };
  parse_errors: string[];
}

/** A protojson PushRequest with one series. */
function pushJson(labels: Record<string, string>, profiles: Uint8Array[], id: string): string {
  return JSON.stringify({
    series: [{
      labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
      samples: profiles.map((p, i) => ({ rawProfile: base64(p), ID: `${id}-${i}` })),
    }],
  });
}

async function push(url: string, flags: string[], body: string): Promise<PushResult> {
  const out = await runGoPeer(["connect-push", "-url", url, ...flags], { stdin: body });
  return jsonLines<PushResult>(out.stdout)[0]!;
}

Deno.test({
  name: "interop: connect-go client (Connect, gRPC-Web) → receive_http → write → connect-go server",
  ignore,
  async fn() {
    const server = await startGoServer(["connect-server"]);
    const dir = Deno.makeTempDirSync({ prefix: "profcol-connect-go-" });
    const config = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/go:
    endpoint:
      - url: ${server.url}
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in]
      exporters: [pyroscope.write/go]
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
    const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
    try {
      const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
      const cpu = fixture("cpu.pb.gz");
      const heap = fixture("heap.pb.gz");
      const rawHeap = gunzipIfNeeded(heap, 1 << 26);
      const variants: [string, string[]][] = [
        ["connect-proto", ["-protocol", "connect", "-codec", "proto"]],
        ["connect-json", ["-protocol", "connect", "-codec", "json"]],
        ["connect-proto-gzip", ["-protocol", "connect", "-codec", "proto", "-gzip"]],
        ["grpcweb-proto", ["-protocol", "grpcweb", "-codec", "proto"]],
        ["grpcweb-json", ["-protocol", "grpcweb", "-codec", "json"]],
        ["grpcweb-proto-gzip", ["-protocol", "grpcweb", "-codec", "proto", "-gzip"]],
      ];
      const sent = new Map<string, { labels: Record<string, string>; profiles: Uint8Array[] }>();
      for (const [name, flags] of variants) {
        const labels = { __name__: "process_cpu", service_name: name, "k8s.pod": "p-1", env: "i" };
        const profiles = [cpu, rawHeap];
        sent.set(name, { labels, profiles });
        const result = await push(url, flags, pushJson(labels, profiles, name));
        assertEquals(result, { ok: true }, name);
      }

      // Refusals, as connect-go reports them (Connect error JSON; gRPC-Web trailers frame).
      const notPprof = pushJson(
        { __name__: "process_cpu", service_name: "bad" },
        [new TextEncoder().encode("not a profile")],
        "bad",
      );
      for (const flags of [["-protocol", "connect"], ["-protocol", "grpcweb"]]) {
        const result = await push(url, flags, notPprof);
        assertEquals([result.ok, result.code], [false, "invalid_argument"], flags.join(" "));
        assertStringIncludes(
          result.message!,
          "series[0].samples[0].raw_profile is not a pprof profile",
        );
      }
      // Plain gRPC needs HTTP trailers: refused, naming what to use instead.
      const grpc = await push(
        url,
        ["-protocol", "grpc"],
        pushJson({ service_name: "g" }, [cpu], "g"),
      );
      // connect-go's gRPC client reports only the HTTP status of a non-200 answer …
      assertEquals([grpc.ok, grpc.message], [false, "HTTP status 415 Unsupported Media Type"]);
      // … the body names what to use instead.
      const answer = await fetch(`${url}/push.v1.PusherService/Push`, {
        method: "POST",
        headers: { "content-type": "application/grpc" },
        body: new Uint8Array(5),
      });
      assertEquals(answer.status, 415);
      const text = await answer.text();
      assertStringIncludes(text, "needs HTTP trailers");
      assertStringIncludes(text, "Connect protocol");
      assertStringIncludes(text, "gRPC-Web (application/grpc-web+proto)");

      // What the connect-go server decoded with the generated types.
      const deadline = Date.now() + 15_000;
      const series = () =>
        jsonLines<Received>(server.lines.join("\n")).flatMap((r) => r.request.series ?? []);
      while (series().length < variants.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const received = jsonLines<Received>(server.lines.join("\n"));
      for (const r of received) {
        assertEquals(r.protocol, "connect");
        assertEquals(r.content_type, "application/proto");
        assertEquals(r.parse_errors, []);
      }
      const byName = new Map(
        series().map((s) => [
          s.labels?.find((l) => l.name === "service_name")?.value ?? "",
          s,
        ]),
      );
      assertEquals([...byName.keys()].sort(), [...sent.keys()].sort());
      for (const [name, { labels, profiles }] of sent) {
        const got = byName.get(name)!;
        const gotLabels = Object.fromEntries((got.labels ?? []).map((l) => [l.name, l.value]));
        assertEquals(gotLabels, labels, name);
        assertEquals(
          (got.samples ?? []).map((s) => s.rawProfile),
          profiles.map(base64),
          `${name}: raw profiles byte-identical`,
        );
        assertEquals((got.samples ?? []).map((s) => s.ID), [`${name}-0`, `${name}-1`]);
      }
      assert(received.length >= 1);
    } finally {
      await proc.kill();
      await server.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
