/**
 * Scrape-time validation (spec 8.5) over a real socket: each failure names the URL and the
 * profile type and carries the reason used by `profcol_scrape_errors_total`.
 */
import { assert, assertEquals, assertRejects } from "./support/assert.ts";
import { createHttpClient } from "../core/http/client.ts";
import { fetchProfile, ScrapeError } from "../receivers/pyroscope_scrape/fetch_profile.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";

const gz = await Deno.readFile(new URL("../pprof/testdata/goroutine.pb.gz", import.meta.url));

function serve(handler: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  return { base: `http://127.0.0.1:${server.addr.port}`, server };
}

const octet = { "content-type": "application/octet-stream" };

Deno.test("fetchProfile: accepts gzip and raw protobuf; sends User-Agent, auth and http_headers", async () => {
  const seen: Headers[] = [];
  const { base, server } = serve((req) => {
    seen.push(req.headers);
    return new Response(
      new URL(req.url).pathname === "/raw" ? new Uint8Array([0x0a, 2, 8, 1]) : gz,
      {
        headers: octet,
      },
    );
  });
  const config = scrapeConfigSchema.parse({
    basic_auth: { username: "u", password: "p" },
    http_headers: { "X-Tenant": ["a", "b"] },
  });
  const client = createHttpClient(config, { userAgent: "profcol/1.2.3" });
  try {
    const opts = { profileType: "goroutine", timeoutMs: 5000, bodySizeLimit: 1 << 20 };
    assertEquals(
      (await fetchProfile(client, { ...opts, url: `${base}/gz` })).byteLength,
      gz.byteLength,
    );
    assertEquals((await fetchProfile(client, { ...opts, url: `${base}/raw` })).byteLength, 4);
    assertEquals(seen[0]!.get("user-agent"), "profcol/1.2.3");
    assertEquals(seen[0]!.get("authorization"), `Basic ${btoa("u:p")}`);
    assertEquals(seen[0]!.get("x-tenant"), "a, b");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("fetchProfile: every validation failure names the URL, the type and the reason", async () => {
  const bodies: Record<string, () => Response> = {
    "/status": () => new Response("boom", { status: 500 }),
    "/empty": () => new Response(new Uint8Array(0), { headers: octet }),
    "/notype": () => {
      const r = new Response(gz);
      r.headers.delete("content-type");
      return r;
    },
    "/proto": () => new Response(gz, { headers: { "content-type": "application/x-protobuf" } }),
    "/html": () => new Response("<html><body>login</body></html>", { headers: octet }),
    "/json": () => new Response('{"error": "not a profile at all"}', { headers: octet }),
    "/wire": () => new Response(new Uint8Array([0x0f, 1, 2, 3]), { headers: octet }),
    "/big": () => new Response(new Uint8Array(5000).fill(0x0a), { headers: octet }),
    "/slow": () => new Response(new ReadableStream({ start() {} }), { headers: octet }),
  };
  const { base, server } = serve((req) => bodies[new URL(req.url).pathname]!());
  const client = createHttpClient(scrapeConfigSchema.parse({}), { userAgent: "t" });
  const expect: [string, ScrapeError["reason"], RegExp][] = [
    ["/status", "http_status", /HTTP status \(500\) boom/],
    ["/empty", "invalid_body", /empty mutex profile/],
    ["/notype", "content_type", /without a Content-Type/],
    ["/proto", "content_type", /application\/x-protobuf/],
    ["/html", "invalid_body", /HTML/],
    ["/json", "invalid_body", /JSON/],
    ["/wire", "invalid_body", /neither gzip nor protobuf/],
    ["/big", "too_large", /body_size_limit \(4096 bytes\)/],
    ["/slow", "timeout", /timed out after 200ms/],
  ];
  try {
    for (const [path, reason, message] of expect) {
      const url = `${base}${path}`;
      const e = await assertRejects(
        fetchProfile(client, { url, profileType: "mutex", timeoutMs: 200, bodySizeLimit: 4096 }),
        ScrapeError,
        message,
        path,
      ) as ScrapeError;
      assertEquals(e.reason, reason, `${path}: ${e.message}`);
      if (reason !== "too_large" && reason !== "timeout") {
        assert(e.message.includes(url) && e.message.includes("mutex"), e.message);
      }
    }
    const closed = `http://127.0.0.1:1/debug`;
    const refused = await assertRejects(
      fetchProfile(client, {
        url: closed,
        profileType: "memory",
        timeoutMs: 500,
        bodySizeLimit: 10,
      }),
      ScrapeError,
      closed,
    ) as ScrapeError;
    assertEquals(refused.reason, "connection");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("fetchProfile: an HTML or JSON answer is named: its type, its title or first bytes, redacted", async () => {
  const login =
    "<!DOCTYPE html>\n<html><head><title> Login </title></head><body>form</body></html>";
  const bodies: Record<string, () => Response> = {
    "/login": () =>
      new Response(login, { headers: { "content-type": "text/html; charset=utf-8" } }),
    "/json": () =>
      new Response('{"error": "forbidden", "next": "http://u:pw@127.0.0.1/t?token=abc"}', {
        headers: { "content-type": "application/json" },
      }),
    "/octet-html": () => new Response("<html><body>maintenance</body></html>", { headers: octet }),
  };
  const { base, server } = serve((req) => bodies[new URL(req.url).pathname]!());
  const client = createHttpClient(scrapeConfigSchema.parse({}), { userAgent: "t" });
  const expected = "where a pprof profile was expected";
  const expect: [string, ScrapeError["reason"], string][] = [
    [
      "/login",
      "content_type",
      `answered text/html (an HTML page: "<title>Login</title>…") ${expected}`,
    ],
    [
      "/json",
      "content_type",
      `answered application/json (JSON: "{\\"error\\": \\"forbidden\\", \\"next\\": ` +
      `\\"http://u:<secret>@127.0.0.1/t?token=<secret>\\"}") ${expected}`,
    ],
    [
      "/octet-html",
      "invalid_body",
      `looks like HTML, not a profile (an HTML page: "<html><body>maintenance</body></html>") ` +
      expected,
    ],
  ];
  try {
    for (const [path, reason, tail] of expect) {
      const url = `${base}${path}`;
      const e = await assertRejects(
        fetchProfile(client, { url, profileType: "memory", timeoutMs: 2000, bodySizeLimit: 4096 }),
        ScrapeError,
      ) as ScrapeError;
      assertEquals(
        { reason: e.reason, message: e.message },
        { reason, message: `memory profile from ${url} ${tail}` },
      );
    }
  } finally {
    client.close();
    await server.shutdown();
  }
});
