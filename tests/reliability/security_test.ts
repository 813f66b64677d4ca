/**
 * Reliability scenario 7: inbound auth on receive_http refuses missing and wrong credentials;
 * secrets never appear in logs (at debug level, with failing endpoints), `/api/v1/status`,
 * `/api/v1/targets`, the admin page, `/metrics` or `print-config`; the admin server binds
 * 127.0.0.1 unless configured otherwise.
 */

import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSink } from "../support/strict_sink.ts";
import { Profcol, runProfcol, tempConfig } from "../support/process.ts";
import { report, sendPush } from "./harness.ts";

const SECRETS = {
  receiverPassword: "rx-pass-7Q2mZ",
  receiverToken: "rx-token-Vb81k",
  writePassword: "wr-pass-Lp09x",
  writeHeader: "hdr-secret-Xx55",
  oauthSecret: "oauth-secret-Pq44",
  scrapeToken: "scrape-token-Hh31",
};

function config(sinkUrl: string): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    auth:
      basic_auth: [{ username: agent, password: ${SECRETS.receiverPassword} }]
      bearer_tokens: [${SECRETS.receiverToken}]
  pyroscope.scrape/apps:
    targets: [{ __address__: "127.0.0.1:9" }]
    scrape_interval: 2s
    scrape_timeout: 200ms
    bearer_token: ${SECRETS.scrapeToken}
exporters:
  pyroscope.write/out:
    endpoint:
      - url: ${sinkUrl}
        basic_auth: { username: tenant, password: ${SECRETS.writePassword} }
        headers: { Authorization: "Bearer ${SECRETS.writeHeader}" }
        min_backoff_period: 50ms
        max_backoff_period: 100ms
        max_backoff_retries: 2
      - url: http://127.0.0.1:9
        name: unreachable
        oauth2: { client_id: c, client_secret: ${SECRETS.oauthSecret}, token_url: "http://127.0.0.1:9/token" }
        min_backoff_period: 50ms
        max_backoff_period: 100ms
        max_backoff_retries: 2
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in, pyroscope.scrape/apps], exporters: [pyroscope.write/out] }
  telemetry:
    logs: { level: debug }
    http: { listen_address: 127.0.0.1, listen_port: 0 }
`;
}

function leaks(where: string, text: string): string[] {
  return Object.entries(SECRETS).filter(([, secret]) => text.includes(secret)).map(([name]) =>
    `${name} in ${where}`
  );
}

Deno.test("reliability 7: auth refuses strangers; secrets stay out of logs, pages and print-config", async () => {
  const sink = await startSink({ validateTimeWindow: false });
  // The first profile fails twice at the sink and is given up on, so errors are logged.
  sink.failNext({ kind: "status", status: 500, body: "internal error" }, 2);
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel7-" });
  const path = tempConfig(config(sink.url), dir);
  const proc = new Profcol(["run", "--config", path], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    const match = await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/);
    const url = match[1]!;
    const push = (authorization?: string) =>
      fetch(`${url}/ingest?name=app&format=pprof`, {
        method: "POST",
        headers: authorization ? { authorization } : {},
        body: Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url)),
      }).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      });
    const statuses = {
      none: await push(),
      wrongPassword: await push(`Basic ${btoa("agent:nope")}`),
      wrongUser: await push(`Basic ${btoa(`root:${SECRETS.receiverPassword}`)}`),
      wrongToken: await push("Bearer nope"),
      rightPassword: await push(`Basic ${btoa(`agent:${SECRETS.receiverPassword}`)}`),
      rightToken: await push(`Bearer ${SECRETS.receiverToken}`),
    };
    assertEquals(statuses, {
      none: 401,
      wrongPassword: 401,
      wrongUser: 401,
      wrongToken: 401,
      rightPassword: 200,
      rightToken: 200,
    });
    assertEquals((await sendPush(url, 1)).status, 401, "Connect Push needs auth too");
    await sink.waitFor(1, 10_000);
    assertEquals(sink.ingests[0]!.headers.get("authorization")?.startsWith("Basic "), true);
    await new Promise((r) => setTimeout(r, 1500)); // scrapes fail, retries run, all logged

    const found: string[] = [];
    // Every page of the console too: a page per component (configs redacted), targets, JSON.
    const ids: string[] = (await (await fetch(`${admin}/api/v1/status`)).json()).components
      .map((c: { id: string }) => c.id);
    const pages = ["/", "/api/v1/status", "/api/v1/targets", "/metrics", "/status", "/targets"]
      .concat("/api/v1/components", ...ids.map((id) => `/components/${encodeURIComponent(id)}`));
    for (const page of pages) {
      const response = await fetch(admin + page);
      assertEquals(response.status, 200, page);
      found.push(...leaks(page, await response.text()));
    }
    const printed = await runProfcol(["print-config", "--config", path], { entry: "main.ts" });
    assertEquals(printed.code, 0, printed.stderr);
    assertStringIncludes(printed.stdout, "<secret>");
    found.push(...leaks("print-config", printed.stdout + printed.stderr));
    await proc.kill();
    found.push(...leaks("logs", proc.stderr + proc.stdout));
    const logLines = proc.stderr.split("\n").length;
    report("7 security", {
      auth_refused: 4,
      auth_accepted: 2,
      log_lines_checked: logLines,
      pages_checked: pages.length,
      leaks: found.length,
    });
    assert(proc.stderr.includes("level=debug"), "debug logs were produced");
    assert(proc.stderr.includes("retries_exhausted"), "delivery failures were logged");
    assertEquals(found, []);
  } finally {
    await proc.kill();
    await sink.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("reliability 7: the admin server binds 127.0.0.1 unless configured otherwise", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel7b-" });
  const path = tempConfig(
    `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  file: { directory: ${dir}/out }
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [file] }
`,
    dir,
  );
  const printed = await runProfcol(["print-config", "--config", path], { entry: "main.ts" });
  assertStringIncludes(printed.stdout, "listen_address: 127.0.0.1");
  const proc = new Profcol(["run", "--config", path], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    assert(admin.startsWith("http://127.0.0.1:"), admin);
  } finally {
    await proc.kill();
    Deno.removeSync(dir, { recursive: true });
  }
});
