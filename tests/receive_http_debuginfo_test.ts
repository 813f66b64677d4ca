/**
 * Debug-info uploads through a real collector (Alloy 1.16's `pyroscope.receive_http` endpoints of
 * Pyroscope's `debuginfo.v1alpha1.DebuginfoService`): a client speaking the protocol —
 * `ShouldInitiateUpload` (Connect unary, protobuf), `Upload/{gnu_build_id}` (raw body, streamed),
 * `UploadFinished` — against receive_http → pyroscope.write → a stand-in debuginfo server that
 * checks what arrives: paths, messages and file bytes unchanged, the endpoint's auth and headers,
 * the client's tenant; the client's own credentials are not passed on; an upload over
 * `debuginfo_max_upload_size` gets 413 and never completes upstream.
 */

import { assert, assertEquals } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";

const SERVICE = "/debuginfo.v1alpha1.DebuginfoService";

/** Protobuf length-delimited field (tag < 16, length < 128 for these small messages). */
function field(tag: number, bytes: Uint8Array): Uint8Array {
  assert(bytes.byteLength < 128);
  return new Uint8Array([(tag << 3) | 2, bytes.byteLength, ...bytes]);
}
const text = (s: string) => new TextEncoder().encode(s);

/** `ShouldInitiateUploadRequest { file: FileMetadata { GNU: id, Name: name } }`. */
const shouldInitiate = (id: string, name: string) =>
  field(1, new Uint8Array([...field(1, text(id)), ...field(4, text(name))]));
/** `UploadFinishedRequest { gnu_build_id: id }`. */
const uploadFinished = (id: string) => field(1, text(id));
/** `ShouldInitiateUploadResponse { should_initiate_upload: true, reason: "first time" }`. */
const yes = new Uint8Array([0x08, 0x01, ...field(2, text("first time"))]);

interface Arrival {
  path: string;
  contentType: string | null;
  connectVersion: string | null;
  tenant: string | null;
  authorization: string | null;
  custom: string | null;
  body: Uint8Array;
}

/** Reads a whole body, counting bytes in `progress` as they arrive. */
async function readCounting(body: ReadableStream<Uint8Array> | null, progress: { bytes: number }) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body ?? []) {
    chunks.push(chunk);
    progress.bytes += chunk.byteLength;
  }
  const out = new Uint8Array(progress.bytes);
  let at = 0;
  for (const chunk of chunks) out.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
  return out;
}

/** A debuginfo server stand-in on 127.0.0.1 recording complete requests. */
function debuginfoServer() {
  const arrivals: Arrival[] = [];
  /** Bytes of the request being received so far. */
  const progress = { bytes: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    progress.bytes = 0;
    const body = await readCounting(req.body, progress);
    arrivals.push({
      path,
      contentType: req.headers.get("content-type"),
      connectVersion: req.headers.get("connect-protocol-version"),
      tenant: req.headers.get("x-scope-orgid"),
      authorization: req.headers.get("authorization"),
      custom: req.headers.get("x-custom"),
      body,
    });
    const proto = { "content-type": "application/proto" };
    if (path === `${SERVICE}/ShouldInitiateUpload`) return new Response(yes, { headers: proto });
    if (path === `${SERVICE}/UploadFinished`) {
      return new Response(new Uint8Array(), { headers: proto });
    }
    if (path.startsWith(`${SERVICE}/Upload/`)) return new Response(null, { status: 200 });
    return new Response("not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, server, arrivals, progress };
}

Deno.test("receive_http debuginfo: ShouldInitiateUpload, Upload/{id} (streamed) and UploadFinished reach pyroscope.write's endpoint", async () => {
  const upstream = debuginfoServer();
  const dir = Deno.makeTempDirSync({ prefix: "profcol-debuginfo-" });
  const config = `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    auth: { bearer_tokens: [client-token] }
    debuginfo_max_upload_size: 4MiB
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${upstream.url}
        basic_auth: { username: cloud, password: secret }
        headers: { X-Custom: from-endpoint }
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`;
  const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
  try {
    const url = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
    const client = { authorization: "Bearer client-token", "x-scope-orgid": "team-ebpf" };
    const unary = (procedure: string, body: Uint8Array) =>
      fetch(`${url}${SERVICE}/${procedure}`, {
        method: "POST",
        headers: {
          ...client,
          "content-type": "application/proto",
          "connect-protocol-version": "1",
        },
        body: body as BodyInit,
      });
    const id = "2f3b9c0a5d7e1f4b6a8c9d0e1f2a3b4c5d6e7f80";

    const should = await unary("ShouldInitiateUpload", shouldInitiate(id, "libapp.so"));
    assertEquals(should.status, 200);
    assertEquals(should.headers.get("content-type"), "application/proto");
    assertEquals(new Uint8Array(await should.arrayBuffer()), yes);

    // 3 MiB in 64 KiB chunks, sent as a stream. The second half is sent only once the server
    // has received the first: a proxy that buffered the whole body would never let that happen.
    const file = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31 + (i >> 11)) & 0xff);
    const half = file.byteLength / 2;
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset >= file.byteLength) return controller.close();
        if (offset === half) {
          const deadline = Date.now() + 20_000;
          while (upstream.progress.bytes < half && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 10));
          }
          if (upstream.progress.bytes < half) {
            return controller.error(new Error("the first half never reached the server"));
          }
        }
        controller.enqueue(file.slice(offset, offset += 65536));
      },
    });
    const uploaded = await fetch(`${url}${SERVICE}/Upload/${id}`, {
      method: "POST",
      headers: { ...client, "content-type": "application/octet-stream" },
      body: stream,
    });
    assertEquals(uploaded.status, 200, await uploaded.text());

    const finished = await unary("UploadFinished", uploadFinished(id));
    assertEquals(finished.status, 200);
    await finished.body?.cancel();

    const basic = `Basic ${btoa("cloud:secret")}`;
    const seen = (a: Arrival) => ({ ...a, body: a.body.byteLength });
    assertEquals(upstream.arrivals.map(seen), [
      {
        path: `${SERVICE}/ShouldInitiateUpload`,
        contentType: "application/proto",
        connectVersion: "1",
        tenant: "team-ebpf",
        authorization: basic,
        custom: "from-endpoint",
        body: shouldInitiate(id, "libapp.so").byteLength,
      },
      {
        path: `${SERVICE}/Upload/${id}`,
        contentType: "application/octet-stream",
        connectVersion: null,
        tenant: "team-ebpf",
        authorization: basic,
        custom: "from-endpoint",
        body: file.byteLength,
      },
      {
        path: `${SERVICE}/UploadFinished`,
        contentType: "application/proto",
        connectVersion: "1",
        tenant: "team-ebpf",
        authorization: basic,
        custom: "from-endpoint",
        body: uploadFinished(id).byteLength,
      },
    ]);
    assertEquals(upstream.arrivals[0]!.body, shouldInitiate(id, "libapp.so"));
    assertEquals(upstream.arrivals[1]!.body, file, "the file arrives byte-identical");
    assertEquals(upstream.arrivals[2]!.body, uploadFinished(id));

    // Over the cap: 413, and the upstream never sees a complete upload.
    const big = new Uint8Array(5 * 1024 * 1024);
    let sent = 0;
    const tooBig = await fetch(`${url}${SERVICE}/Upload/${id}`, {
      method: "POST",
      headers: client,
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= big.byteLength) return controller.close();
          controller.enqueue(big.subarray(sent, sent += 65536));
        },
      }),
    });
    assertEquals(tooBig.status, 413);
    assertEquals((await tooBig.json()).code, "resource_exhausted");
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(upstream.arrivals.length, 3, "the capped upload was aborted upstream");

    // The receiver's own checks: credentials, procedure names, methods.
    const anonymous = await fetch(`${url}${SERVICE}/UploadFinished`, { method: "POST" });
    assertEquals(anonymous.status, 401);
    await anonymous.body?.cancel();
    const unknown = await unary("Upload/../../push.v1.PusherService", new Uint8Array());
    assertEquals(unknown.status, 404);
    await unknown.body?.cancel();
    const get = await fetch(`${url}${SERVICE}/UploadFinished`, { headers: client });
    assertEquals(get.status, 405);
    await get.body?.cancel();
    assertEquals(upstream.arrivals.length, 3);
  } finally {
    await proc.kill();
    await upstream.server.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});
