import { assert, assertEquals } from "../../tests/support/assert.ts";
import { createHttpClient } from "../../core/http/client.ts";
import { DELIVERED, type Outcome } from "../../core/delivery/outcome.ts";
import { type EndpointConfig, pyroscopeWriteConfigSchema } from "./config.ts";
import { type Answer, EndpointTransport, MAX_ERROR_BODY, type Post } from "./transport.ts";

function endpoint(url: string, extra: Record<string, unknown> = {}): EndpointConfig {
  return pyroscopeWriteConfigSchema.parse({
    endpoint: [{ url, headers: { "x-extra": "1" }, ...extra }],
  }).endpoint[0]!;
}

function transportFor(config: EndpointConfig) {
  const client = createHttpClient(config, { userAgent: "profcol/test" });
  return { transport: new EndpointTransport(config, client), close: () => client.close() };
}

function post(answers: Answer[], extra: Partial<Post> = {}): Post {
  return {
    path: "/push.v1.PusherService/Push",
    headers: new Headers({ "content-type": "application/proto" }),
    body: new Uint8Array([1, 2, 3]),
    classify: (answer) => (answers.push(answer), DELIVERED),
    ...extra,
  };
}

Deno.test("transport: posts to the endpoint's path and hands the answer to the classifier", async () => {
  const seen: { path: string; headers: Headers; body: number[] }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      path: url.pathname + url.search,
      headers: req.headers,
      body: [...new Uint8Array(await req.arrayBuffer())],
    });
    return url.search
      ? new Response("x".repeat(3 * MAX_ERROR_BODY), { status: 500 })
      : new Response("ok");
  });
  const { transport, close } = transportFor(endpoint(`http://127.0.0.1:${server.addr.port}/base/`));
  try {
    const answers: Answer[] = [];
    const headers = transport.headers("tenant-a");
    const outcome = await transport.post(post(answers, { headers }));
    assertEquals(outcome, DELIVERED);
    assertEquals(seen[0]!.path, "/base/push.v1.PusherService/Push");
    assertEquals(seen[0]!.body, [1, 2, 3]);
    assertEquals(seen[0]!.headers.get("x-scope-orgid"), "tenant-a");
    assertEquals(seen[0]!.headers.get("x-extra"), "1");
    assertEquals([answers[0]!.status, answers[0]!.body.byteLength], [200, 0], "a 2xx is drained");
    await transport.post(post(answers, { path: "/ingest?name=a" }));
    assertEquals(seen[1]!.path, "/base/ingest?name=a");
    assertEquals(answers[1]!.status, 500);
    assertEquals(
      answers[1]!.body.byteLength,
      MAX_ERROR_BODY,
      "an error body is read up to the cap",
    );
  } finally {
    close();
    await server.shutdown();
  }
});

Deno.test("transport: a per-request deadline shorter than remote_timeout bounds the request", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const timeouts: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    timeouts.push(req.headers.get("connect-timeout-ms"));
    await held;
    return new Response("late");
  });
  const { transport, close } = transportFor(
    endpoint(`http://127.0.0.1:${server.addr.port}`, { remote_timeout: "3s" }),
  );
  try {
    const outcome: Outcome = await transport.post(
      post([], { timeoutHeader: "connect-timeout-ms" }),
      {
        deadline: Date.now() + 100,
      },
    );
    assertEquals([outcome.kind, outcome.kind === "retry" && outcome.reason], ["retry", "timeout"]);
    const told = Number(timeouts[0]);
    assert(told > 0 && told <= 100, `the server is told the time left (${told} ms)`);
  } finally {
    release();
    close();
    await server.shutdown();
  }
});

Deno.test("transport: a refused connection is a retry (connect_error), never a throw", async () => {
  // Bind, learn the port, close: nothing listens there now.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { transport, close } = transportFor(endpoint(`http://127.0.0.1:${port}`));
  try {
    const outcome = await transport.post(post([]));
    assertEquals([outcome.kind, outcome.kind === "retry" && outcome.reason], [
      "retry",
      "connect_error",
    ]);
  } finally {
    close();
  }
});
