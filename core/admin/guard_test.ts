import { assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { testFactories } from "../../tests/support/test_factories.ts";
import { ConfigError } from "../config/errors.ts";
import { Registry } from "../registry.ts";
import { Collector } from "../service/collector.ts";
import { Logger } from "../telemetry/logger.ts";

const config = (http: string) =>
  `receivers:
  test.receiver/a: {}
exporters:
  test.exporter: {}
service:
  pipelines:
    profiles: { receivers: [test.receiver/a], exporters: [test.exporter] }
  telemetry:
    http: { listen_port: 0${http} }
`;

const logLines: string[] = [];

async function withCollector(
  http: string,
  fn: (port: number, setConfig: (text: string) => void) => Promise<void>,
) {
  let text = config(http);
  logLines.length = 0;
  const collector = new Collector({
    configFiles: ["c.yaml"],
    registry: new Registry(testFactories),
    version: "1.2.3",
    logger: new Logger({ write: (line) => logLines.push(line) }),
    loadOptions: { readFile: () => text, env: () => undefined },
  });
  await collector.start();
  try {
    await fn(collector.adminAddr!.port, (next) => text = next);
  } finally {
    await collector.shutdown();
  }
}

/**
 * One HTTP/1.1 request written by hand, so that `Host` (which fetch sets itself) is whatever a
 * hostile page would make a browser send. Answers the status and body.
 */
async function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<[number, string]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const all = { host: `127.0.0.1:${port}`, connection: "close", "content-length": "0", ...headers };
  const head = [`${method} ${path} HTTP/1.1`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)];
  await conn.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
  const response = await new Response(conn.readable).text();
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(response)?.[1]);
  return [status, response.slice(response.indexOf("\r\n\r\n") + 4)];
}

const status = async (...args: Parameters<typeof send>) => (await send(...args))[0];

Deno.test("admin guard: a foreign Host or Origin cannot reload or read (reproduction 6)", async () => {
  await withCollector("", async (port) => {
    const evil = { host: "evil.example", origin: "http://evil.example" };
    assertEquals(
      await send(port, "POST", "/-/reload", evil),
      [
        403,
        'host "evil.example" is not allowed; add it to service.telemetry.http.allowed_hosts\n',
      ],
    );
    // DNS rebinding: the attacker's name resolving to this address, for reads too.
    assertEquals(
      await status(port, "GET", "/api/v1/status", { host: `evil.example:${port}` }),
      403,
    );
    // A cross-site form post to the loopback address carries a foreign Origin.
    assertEquals(
      await send(port, "POST", "/-/reload", { origin: "http://evil.example" }),
      [
        403,
        'origin "http://evil.example" is not allowed to change state; add it to ' +
        "service.telemetry.http.allowed_origins\n",
      ],
    );
    assertEquals(await status(port, "POST", "/-/reload", { "sec-fetch-site": "cross-site" }), 403);
    assertEquals(await status(port, "GET", "/-/reload"), 405);
    // Same origin, loopback names, IP addresses and plain clients (no Origin) are served.
    assertEquals(
      await status(port, "POST", "/-/reload", { origin: `http://127.0.0.1:${port}` }),
      200,
    );
    assertEquals(await status(port, "POST", "/-/reload", { host: `localhost:${port}` }), 200);
    assertEquals(await status(port, "GET", "/api/v1/status", { host: `10.1.2.3:${port}` }), 200);
    assertEquals(await status(port, "GET", "/api/v1/status", { host: `[::1]:${port}` }), 200);
    // Probes answer whatever the Host.
    assertEquals(await status(port, "GET", "/-/ready", { host: "evil.example" }), 200);
    // Counted by reason; logged once per reason (then at most once a minute).
    const metrics = (await send(port, "GET", "/metrics"))[1];
    const refused = (reason: string) =>
      Number(
        new RegExp(`^profcol_admin_refused_requests_total\\{reason="${reason}"\\} (\\d+)$`, "m")
          .exec(metrics)?.[1],
      );
    assertEquals([refused("host"), refused("origin"), refused("method")], [2, 2, 1]);
    assertEquals(logLines.filter((l) => l.includes('msg="admin request refused"')).length, 3);
  });
});

Deno.test("admin guard: allowed_hosts and allowed_origins extend what is accepted", async () => {
  const http = ", allowed_hosts: [profcol.example.com], allowed_origins: [https://grafana.example]";
  await withCollector(http, async (port) => {
    assertEquals(await status(port, "GET", "/metrics", { host: "profcol.example.com" }), 200);
    assertEquals(
      await status(port, "POST", "/-/reload", {
        host: "profcol.example.com",
        origin: "https://grafana.example",
      }),
      200,
    );
    assertEquals(await status(port, "GET", "/metrics", { host: "other.example.com" }), 403);
  });
});

Deno.test("admin guard: the bearer token guards reload and profiles; the file is re-read on reload", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-admin-token-" });
  try {
    Deno.writeTextFileSync(`${dir}/one`, "token-one-1234\n");
    Deno.writeTextFileSync(`${dir}/two`, "token-two-5678\n");
    await withCollector(`, bearer_token_file: ${dir}/one`, async (port, setConfig) => {
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      assertEquals(await status(port, "GET", "/metrics"), 200, "reads stay open");
      const refused = await send(port, "GET", "/debug/pprof/heap");
      assertEquals(refused, [401, "bearer token required\n"]);
      assertEquals(await status(port, "GET", "/debug/pprof/heap", bearer("nope")), 401);
      assertEquals(await status(port, "GET", "/debug/pprof/heap", bearer("token-one-1234")), 200);
      assertEquals(await status(port, "POST", "/-/reload"), 401);
      // The reload switches to another file: its token is read and the old one refused.
      setConfig(config(`, bearer_token_file: ${dir}/two`));
      assertEquals(await status(port, "POST", "/-/reload", bearer("token-one-1234")), 200);
      assertEquals(await status(port, "POST", "/-/reload", bearer("token-one-1234")), 401);
      assertEquals(await status(port, "POST", "/-/reload", bearer("token-two-5678")), 200);
      // An unreadable token file keeps the running config (and token).
      setConfig(config(`, bearer_token_file: ${dir}/missing`));
      const [code, body] = await send(port, "POST", "/-/reload", bearer("token-two-5678"));
      assertEquals(code, 400);
      assertStringIncludes(body, "service::telemetry::http::bearer_token_file: cannot read");
      assertEquals(await status(port, "GET", "/debug/pprof/heap", bearer("token-two-5678")), 200);
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("admin guard: require_token_for_all guards every endpoint but the probes", async () => {
  await withCollector(", bearer_token: s3cret-admin, require_token_for_all: true", async (port) => {
    for (const path of ["/metrics", "/api/v1/status", "/", "/targets", "/status"]) {
      assertEquals(await status(port, "GET", path), 401, path);
    }
    assertEquals(
      await status(port, "GET", "/metrics", { authorization: "Bearer s3cret-admin" }),
      200,
    );
    assertEquals(await status(port, "GET", "/-/healthy"), 200);
    assertEquals(await status(port, "GET", "/-/ready"), 200);
  });
});

Deno.test("admin guard: settings are checked when the config loads; a missing token file stops the start", async () => {
  const missing = "/nonexistent/profcol-admin-token";
  for (
    const [http, message, isConfigError] of [
      [", require_token_for_all: true", "require_token_for_all needs bearer_token or", true],
      [", bearer_token: a, bearer_token_file: /b", "mutually exclusive", true],
      [
        `, bearer_token_file: ${missing}`,
        `service::telemetry::http::bearer_token_file: cannot read ${missing}`,
        false,
      ],
    ] as const
  ) {
    const collector = new Collector({
      configFiles: ["c.yaml"],
      registry: new Registry(testFactories),
      version: "1",
      logger: new Logger({ write: () => {} }),
      loadOptions: { readFile: () => config(http), env: () => undefined },
    });
    const error = await collector.start().then(() => undefined, (e) => e);
    const listening = collector.adminAddr;
    await collector.shutdown();
    assertEquals([error instanceof Error, error instanceof ConfigError], [true, isConfigError]);
    assertStringIncludes((error as Error).message, message);
    assertEquals(listening, undefined, "nothing listens");
  }
});
