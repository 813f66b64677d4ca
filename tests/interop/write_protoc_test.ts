/**
 * Interop: the Connect Push bodies `pyroscope.write` sends decode with `protoc --decode`
 * against the .proto written from the spec (independently of profcol's codec), batched series
 * included, and every `raw_profile` in them is read by `go tool pprof -raw`.
 */
import { admit } from "../../core/admission.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { LabelSet } from "../../core/labels.ts";
import { createForTest, testSettings } from "../../core/testing/conformance.ts";
import { pyroscopeWriteExporterFactory } from "../../exporters/pyroscope_write/mod.ts";
import type { PyroscopeWriteExporter } from "../../exporters/pyroscope_write/pyroscope_write.ts";

const PROTO_ROOT = new URL("../support/proto/", import.meta.url).pathname;
const ignore = skipUnlessPeer("protoc", "protoc decodes what pyroscope.write sends") ||
  skipUnlessPeer("go", "go tool pprof reads the raw profiles sent");

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../pprof/testdata/${name}`, import.meta.url));

async function protocDecode(bytes: Uint8Array): Promise<string> {
  const child = new Deno.Command("protoc", {
    args: [`-I${PROTO_ROOT}`, "--decode=push.v1.PushRequest", "push/v1/push.proto"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`protoc --decode failed: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

Deno.test({
  name:
    "interop: pyroscope.write Push bodies decode with protoc; raw profiles open in go tool pprof",
  ignore,
  async fn() {
    const bodies: Uint8Array[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      bodies.push(new Uint8Array(await req.arrayBuffer()));
      if (bodies.length === 1) await gate;
      return new Response(null, { headers: { "content-type": "application/proto" } });
    });
    const exporter = createForTest(
      pyroscopeWriteExporterFactory,
      {
        external_labels: { cluster: "c1" },
        endpoint: [{ url: `http://127.0.0.1:${server.addr.port}` }],
        queue: { senders: 1 },
      },
      testSettings("pyroscope.write/interop"),
    ) as PyroscopeWriteExporter;
    const profiles = ["cpu.pb.gz", "heap.pb.gz", "goroutine.pb.gz"].map(fixture);
    const dir = Deno.makeTempDirSync({ prefix: "profcol-write-interop-" });
    try {
      await exporter.start();
      const send = (i: number, name: string) =>
        admit(exporter, [{
          kind: "push",
          labels: LabelSet.from({ __name__: name, service_name: "svc", "otel.scope.name": "x" }),
          samples: [{ rawProfile: profiles[i]!, id: `id-${i}` }],
        }]);
      await send(0, "process_cpu");
      while (bodies.length < 1) await new Promise((r) => setTimeout(r, 5));
      await send(1, "memory");
      await send(2, "goroutine");
      release();
      while (bodies.length < 2) await new Promise((r) => setTimeout(r, 5));

      const single = await protocDecode(bodies[0]!);
      assert(single.includes('name: "__name__"\n    value: "process_cpu"'), single);
      assert(single.includes('name: "cluster"\n    value: "c1"'), single);
      assert(single.includes('ID: "id-0"'), single);
      const batched = await protocDecode(bodies[1]!);
      assertEquals((batched.match(/^series \{/gm) ?? []).length, 2, "two series in one request");
      assert(batched.includes('value: "memory"') && batched.includes('value: "goroutine"'));

      // protoc's text output escapes bytes; re-encode each raw_profile from the text form and
      // hand it to go tool pprof, so the bytes checked are the ones protoc decoded.
      for (const [index, text] of [single, batched].entries()) {
        const escaped = [...text.matchAll(/raw_profile: "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
        assertEquals(escaped.length, index === 0 ? 1 : 2);
        for (const [j, one] of escaped.entries()) {
          const bytes = unescapeProtocBytes(one);
          const expected = profiles[index === 0 ? 0 : j + 1]!;
          assertEquals(bytes, expected, `raw_profile ${j} of request ${index}, byte for byte`);
          const file = join(dir, `p${index}_${j}.pb.gz`);
          Deno.writeFileSync(file, bytes);
          const raw = await goToolPprofRaw(file);
          assert(raw.includes("Samples:") || raw.includes("PeriodType"), raw.slice(0, 200));
        }
      }
    } finally {
      await exporter.shutdown();
      await server.shutdown();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** Undoes protoc's C-style escaping of a bytes field in text format. */
function unescapeProtocBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      out.push(c.charCodeAt(0));
      continue;
    }
    const next = text[++i]!;
    if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(text[i + 1] ?? "")) digits += text[++i];
      out.push(parseInt(digits, 8));
    } else if (next === "x") {
      let digits = "";
      while (digits.length < 2 && /[0-9a-fA-F]/.test(text[i + 1] ?? "")) digits += text[++i];
      out.push(parseInt(digits, 16));
    } else {
      const map: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, "\\": 92 };
      out.push(map[next] ?? next.charCodeAt(0));
    }
  }
  return new Uint8Array(out);
}
