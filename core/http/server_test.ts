import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { HttpError, serve } from "./server.ts";
import { readBody } from "./read_body.ts";
import {
  type HttpServerConfig,
  httpServerConfigSchema,
  tlsServerConfigSchema,
} from "./server_config.ts";

function messages(result: { error?: { issues: { message: string }[] } }): string {
  return result.error?.issues.map((issue) => issue.message).join("; ") ?? "";
}

const LOCAL = { listen_address: "127.0.0.1", listen_port: 0 };

function http(overrides: Partial<HttpServerConfig> = {}): HttpServerConfig {
  return { ...httpServerConfigSchema.parse(LOCAL), ...overrides };
}

Deno.test("http block: Alloy's defaults and port messages", () => {
  assertEquals(httpServerConfigSchema.parse({}), {
    listen_address: "",
    listen_port: 8080,
    conn_limit: 16384,
    server_read_timeout: 30_000,
    server_write_timeout: 30_000,
    server_idle_timeout: 120_000,
    server_read_header_timeout: 10_000,
    server_min_body_rate: 1024,
    server_min_body_rate_grace: 1000,
  });
  assertEquals(httpServerConfigSchema.parse({ listen_port: "9999" }).listen_port, 9999);
  for (const bad of ["abc", 70000, -1, 1.5]) {
    const result = httpServerConfigSchema.safeParse({ listen_port: bad });
    assert(!result.success, `accepted ${bad}`);
    assertStringIncludes(messages(result), "Expected a port number from 0 to 65535, got");
  }
  const typo = httpServerConfigSchema.safeParse({ listen_prot: 1 });
  assert(!typo.success);
  const timeout = httpServerConfigSchema.safeParse({ server_read_timeout: "15x" });
  assert(!timeout.success);
  assertStringIncludes(messages(timeout), 'Cannot parse "15x" as a duration');
});

Deno.test("tls block: pairs required, mTLS refused with an explanation", () => {
  assert(tlsServerConfigSchema.safeParse({ cert_file: "c.pem", key_file: "k.pem" }).success);
  const half = tlsServerConfigSchema.safeParse({ cert_pem: "x" });
  assert(!half.success);
  assertStringIncludes(half.error.message, "needs both a certificate");
  const both = tlsServerConfigSchema.safeParse({ cert_pem: "x", cert_file: "y", key_pem: "k" });
  assert(!both.success);
  assertStringIncludes(both.error.message, "only one of cert_pem and cert_file");
  for (
    const mtls of [{ client_ca_file: "ca.pem" }, { client_auth_type: "RequireAndVerifyClientCert" }]
  ) {
    const result = tlsServerConfigSchema.safeParse({ cert_pem: "c", key_pem: "k", ...mtls });
    assert(!result.success);
    assertStringIncludes(result.error.message, "not supported by Deno's HTTP server");
    assertStringIncludes(result.error.message, "proxy");
  }
  assert(tlsServerConfigSchema.safeParse({ client_auth_type: "NoClientCert" }).success);
});

Deno.test("serve: binds port 0 on loopback, reports the address, shuts down twice", async () => {
  const server = await serve({ http: http(), handler: () => new Response("hello") });
  try {
    assert(server.addr.port > 0);
    assertEquals(server.url, `http://127.0.0.1:${server.addr.port}`);
    assertEquals(await (await fetch(server.url)).text(), "hello");
  } finally {
    await server.shutdown();
    await server.shutdown();
  }
});

Deno.test("serve: conn_limit caps concurrent requests with 429 and Retry-After", async () => {
  const release = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  const server = await serve({
    http: http({ conn_limit: 1 }),
    handler: async () => {
      entered.resolve();
      await release.promise;
      return new Response("done");
    },
  });
  try {
    const first = fetch(server.url);
    await entered.promise;
    assertEquals(server.inFlight(), 1);
    const second = await fetch(server.url);
    assertEquals(second.status, 429);
    assertEquals(second.headers.get("retry-after"), "1");
    assertStringIncludes(await second.text(), "conn_limit 1");
    release.resolve();
    assertEquals(await (await first).text(), "done");
  } finally {
    release.resolve();
    await server.shutdown();
  }
});

Deno.test("serve: a handler slower than read+write timeouts gets 503", async () => {
  const never = Promise.withResolvers<Response>();
  const server = await serve({
    http: http({ server_read_timeout: 20, server_write_timeout: 20 }),
    handler: () => never.promise,
  });
  try {
    const response = await fetch(server.url);
    assertEquals(response.status, 503);
    assertStringIncludes(await response.text(), "server_write_timeout");
  } finally {
    never.resolve(new Response(""));
    await server.shutdown();
  }
});

Deno.test("serve: HttpError thrown by a handler becomes its status; other errors 500", async () => {
  const server = await serve({
    http: http(),
    handler: (request) => {
      if (new URL(request.url).pathname === "/teapot") throw new HttpError(418, "short", "x");
      throw new Error("boom");
    },
  });
  try {
    const teapot = await fetch(`${server.url}/teapot`);
    assertEquals(teapot.status, 418);
    assertEquals(await teapot.text(), "short\n");
    const boom = await fetch(server.url);
    assertEquals(boom.status, 500);
    await boom.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function postRequest(body: BodyInit | null, headers: HeadersInit = {}): Request {
  return new Request("http://x/", { method: "POST", body, headers });
}

Deno.test("readBody: joins chunks, enforces the limit while reading and by Content-Length", async () => {
  const a = new Uint8Array([1, 2]);
  const b = new Uint8Array([3]);
  assertEquals(
    await readBody(postRequest(streamOf(a, b)), { maxBytes: 3, timeoutMs: 0 }),
    new Uint8Array([1, 2, 3]),
  );
  let error = await readBody(postRequest(streamOf(a, b, b)), { maxBytes: 3, timeoutMs: 0 })
    .catch((e) => e);
  assert(error instanceof HttpError);
  assertEquals([error.status, error.reason], [413, "body_too_large"]);
  error = await readBody(postRequest("abcd", { "content-length": "4" }), {
    maxBytes: 3,
    timeoutMs: 0,
  }).catch((e) => e);
  assertEquals(error.status, 413);
  assertStringIncludes(error.message, "4 bytes is larger than the limit of 3 bytes");
  assertEquals(await readBody(postRequest(null), { maxBytes: 3, timeoutMs: 0 }), new Uint8Array());
});

Deno.test("readBody: a body slower than the read timeout gives 408", async () => {
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1]));
    },
  });
  const error = await readBody(postRequest(stalled), { maxBytes: 0, timeoutMs: 20 })
    .catch((e) => e);
  assert(error instanceof HttpError);
  assertEquals([error.status, error.reason], [408, "read_timeout"]);
});

Deno.test("readBody: shutdown aborts a pending read with 503", async () => {
  const stalled = new ReadableStream<Uint8Array>({ start() {} });
  const controller = new AbortController();
  const pending = readBody(postRequest(stalled), {
    maxBytes: 0,
    timeoutMs: 0,
    signal: controller.signal,
  }).catch((e) => e);
  controller.abort();
  const error = await pending;
  assertEquals([error.status, error.reason], [503, "shutdown"]);
});

Deno.test("readBody: a body under server_min_body_rate after the grace gives 408", async () => {
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1]));
    },
  });
  const error = await readBody(postRequest(stalled), {
    maxBytes: 0,
    timeoutMs: 10_000,
    minBytesPerSecond: 1000,
    minRateGraceMs: 100,
  }).catch((e) => e);
  assert(error instanceof HttpError);
  assertEquals([error.status, error.reason], [408, "body_too_slow"]);
});
