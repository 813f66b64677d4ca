/**
 * Interop: a Connect `Push` body built by `protoc --encode` from the .proto written from the
 * spec (not by profcol's codec) is accepted by receive_http; the item carries the labels, ID
 * and raw profile bytes exactly, including the docs/spec/pyroscope-wire.md §2.2 worked example.
 */
import { assertEquals } from "../support/assert.ts";
import { skipUnlessPeer } from "../support/peers.ts";
import { startReceiver } from "../../receivers/pyroscope_receive_http/test_helpers.ts";
import { LabelSet } from "../../core/labels.ts";

const PROTO_ROOT = new URL("../support/proto/", import.meta.url).pathname;
const ignore = skipUnlessPeer("protoc", "protoc builds the Push bodies");

async function protocEncode(text: string): Promise<Uint8Array> {
  const child = new Deno.Command("protoc", {
    args: [`-I${PROTO_ROOT}`, "--encode=push.v1.PushRequest", "push/v1/push.proto"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`protoc --encode failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** protoc text-format escaping of bytes (octal for everything outside printable ASCII). */
function escapeBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
}

Deno.test({
  name: "interop: a protoc-encoded Push is accepted with labels, ID and bytes intact",
  ignore,
  async fn() {
    const cpu = Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url));
    const body = await protocEncode(`
      series {
        labels { name: "__name__" value: "process_cpu" }
        labels { name: "service_name" value: "svc" }
        labels { name: "otel.scope.name" value: "protoc" }
        samples { raw_profile: "${escapeBytes(cpu)}" ID: "734FD599-6865-419E-9475-932762D8F469" }
      }
      series {
        labels { name: "__name__" value: "memory" }
        labels { name: "service_name" value: "svc" }
        samples { raw_profile: "${escapeBytes(cpu)}" }
        annotations { key: "ignored" value: "by the server" }
      }`);
    await using r = await startReceiver();
    const response = await fetch(`${r.url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: body as BodyInit,
    });
    assertEquals(response.status, 200, await response.text());
    assertEquals(response.headers.get("content-type"), "application/proto");
    // The whole decoded items: labels (sorted, as a LabelSet), every sample, ID and byte.
    assertEquals(r.consumer.items, [
      {
        kind: "push",
        labels: LabelSet.from({
          __name__: "process_cpu",
          "otel.scope.name": "protoc",
          service_name: "svc",
        }),
        samples: [{ rawProfile: cpu, id: "734FD599-6865-419E-9475-932762D8F469" }],
      },
      {
        kind: "push",
        labels: LabelSet.from({ __name__: "memory", service_name: "svc" }),
        samples: [{ rawProfile: cpu }],
      },
    ]);
  },
});

Deno.test({
  name:
    "interop: the docs/spec/pyroscope-wire.md §2.2 worked example (96 bytes from protoc) decodes as the spec says",
  ignore,
  async fn() {
    const body = await protocEncode(
      'series { labels { name: "__name__" value: "process_cpu" } ' +
        'labels { name: "service_name" value: "svc" } ' +
        'samples { raw_profile: "\\n\\004\\010\\001\\020\\002" ID: "734FD599-6865-419E-9475-932762D8F469" } }',
    );
    assertEquals(body.byteLength, 96);
    await using r = await startReceiver({ validate_profiles: false });
    const response = await fetch(`${r.url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: body as BodyInit,
    });
    assertEquals(response.status, 200, await response.text());
    assertEquals(r.consumer.items, [{
      kind: "push",
      labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc" }),
      samples: [{
        rawProfile: new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]),
        id: "734FD599-6865-419E-9475-932762D8F469",
      }],
    }]);
  },
});
