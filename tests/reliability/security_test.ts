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

/** One value per secret form the redaction rule covers; each planted once in the config. */
const PLANTED = {
  scrapeParamToken: "prm tok/Aa11+z",
  configuredParam: "tenant-val-Bb22",
  userinfoPassword: "ui pass/Cc33",
  proxyPassword: "px pass/Dd44",
  tokenUrlQuery: "tu aud/Ee55",
  clientAssertion: "assert jwt/Ff66",
  customHeader: "x-hdr val/Gg77",
  basicPassword: "ba pass/Hh88",
  /** Not in the config: sent by a client in an `/ingest` query (`api_key=`). */
  requestApiKey: "rq key/Ii99",
};

/** Every form a secret may take on a surface: plain, URL-encoded (both ways) and base64. */
function forms(secret: string): string[] {
  const goEscaped = encodeURIComponent(secret).replace(/%20/g, "+");
  return [...new Set([secret, encodeURIComponent(secret), goEscaped, btoa(secret)])];
}

function plantedLeaks(where: string, text: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(PLANTED)) {
    for (const form of forms(secret)) {
      if (text.includes(form)) found.push(`${name} (${form}) in ${where}`);
    }
  }
  const basic = btoa(`ba-user:${PLANTED.basicPassword}`);
  if (text.includes(basic)) found.push(`basic user:password (base64) in ${where}`);
  return found;
}

function plantedConfig(targetPort: number, dir: string): string {
  const q = (text: string) => JSON.stringify(text);
  const enc = encodeURIComponent;
  const target = `127.0.0.1:${targetPort}`;
  return `receivers:
  pyroscope.scrape/params:
    targets: [{ __address__: "${target}", service_name: app }]
    scrape_interval: 2s
    scrape_timeout: 500ms
    params: { token: [${q(PLANTED.scrapeParamToken)}], tenant: [${q(PLANTED.configuredParam)}] }
    http_headers: { X-Secret-Token: [${q(PLANTED.customHeader)}], User-Agent: [probe] }
    basic_auth: { username: ba-user, password: ${q(PLANTED.basicPassword)} }
  pyroscope.scrape/oauth:
    targets: [{ __address__: "${target}", service_name: app2 }]
    scrape_interval: 2s
    scrape_timeout: 500ms
    oauth2:
      client_id: c
      token_url: "http://${target}/token?audience=${enc(PLANTED.tokenUrlQuery)}"
      endpoint_params: { client_assertion: ${q(PLANTED.clientAssertion)} }
  pyroscope.scrape/proxied:
    targets: [{ __address__: "127.0.0.1:9", service_name: app3 }]
    scrape_interval: 2s
    scrape_timeout: 500ms
    proxy_url: "http://px-user:${enc(PLANTED.proxyPassword)}@${target}"
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  pyroscope.write/out:
    endpoint:
      - url: "http://wr-user:${enc(PLANTED.userinfoPassword)}@${target}/push"
        min_backoff_period: 50ms
        max_backoff_period: 100ms
        max_backoff_retries: 1
  file: { directory: ${dir}/out }
service:
  pipelines:
    profiles:
      receivers:
        - pyroscope.scrape/params
        - pyroscope.scrape/oauth
        - pyroscope.scrape/proxied
        - pyroscope.receive_http/in
      exporters: [pyroscope.write/out, file]
  telemetry:
    logs: { level: debug }
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    live_debugging: { enabled: true }
`;
}

Deno.test("reliability 7: each planted secret form stays off logs, every admin page and API, print-config", async () => {
  // Every request fails: scrapes, the OAuth2 token request and the proxy all log errors.
  const requests: string[] = [];
  // except the heap profile of the target with params, so the console keeps a profile whose
  // series labels carry the `__param_*` labels (flame pages and the profiles API show them).
  const heap = Deno.readFileSync(new URL("../../pprof/testdata/heap.pb.gz", import.meta.url));
  const target = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    requests.push(request.url);
    const url = new URL(request.url);
    if (url.pathname === "/debug/pprof/allocs" && url.searchParams.has("token")) {
      return new Response(heap, { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("no", { status: 500 });
  });
  const dir = Deno.makeTempDirSync({ prefix: "profcol-rel7c-" });
  const path = tempConfig(plantedConfig(target.addr.port, dir), dir);
  const proc = new Profcol(["run", "--config", path], { entry: "main.ts" });
  try {
    const admin = await proc.adminUrl();
    const receiver = (await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/))[1]!;
    // Live debugging of the receiver while a client sends a key in its query.
    const watch = await fetch(`${admin}/api/v1/components/pyroscope.receive_http%2Fin/live`);
    const ingest = await fetch(
      `${receiver}/ingest?name=app&format=pprof&api_key=${
        encodeURIComponent(PLANTED.requestApiKey)
      }`,
      {
        method: "POST",
        body: Deno.readFileSync(new URL("../../pprof/testdata/cpu.pb.gz", import.meta.url)),
      },
    );
    assertEquals(ingest.status, 200, await ingest.text());
    await proc.waitFor(/scrape target down.*pyroscope\.scrape\/params/, 10_000);
    await new Promise((r) => setTimeout(r, 2500)); // several failed scrapes and token requests
    assert(requests.some((url) => url.includes("token=")), "the scrape sent its token param");

    const found: string[] = [];
    const status = await (await fetch(`${admin}/api/v1/status`)).json();
    const ids: string[] = status.components.map((c: { id: string }) => c.id);
    type Kept = { id: string; labels: Record<string, string> }[];
    const keptSeries = async () => await (await fetch(`${admin}/api/v1/profiles`)).json() as Kept;
    let kept = await keptSeries();
    // The heap profile of the target with params is scraped within an interval or two.
    for (let i = 0; i < 100 && !kept.some((s) => "__param_token" in s.labels); i++) {
      await new Promise((r) => setTimeout(r, 100));
      kept = await keptSeries();
    }
    assert(
      kept.some((s) => "__param_token" in s.labels),
      "a profile of the target with params is kept",
    );
    const pages = [
      "/",
      "/status",
      "/targets",
      "/metrics",
      "/api/v1/status",
      "/api/v1/targets",
      "/api/v1/components",
      "/api/v1/profiles",
      ...ids.map((id) => `/components/${encodeURIComponent(id)}`),
      ...kept.flatMap(({ id }) => [`/flame/${id}`, `/api/v1/profiles/${id}/flame`]),
    ];
    for (const page of pages) {
      const response = await fetch(admin + page);
      assertEquals(response.status, 200, page);
      found.push(...plantedLeaks(page, await response.text()));
    }
    // The targets API shows the redacted form where the secrets were.
    const targets = await (await fetch(`${admin}/api/v1/targets`)).json() as {
      url: string;
      labels: Record<string, string>;
    }[];
    const watched = watch.body!.getReader();
    const events = new TextDecoder().decode((await watched.read()).value) +
      new TextDecoder().decode((await watched.read()).value);
    await watched.cancel();
    found.push(...plantedLeaks("live (receiver)", events));
    // Live debugging of a scrape (nothing passes, but the stream is a surface).
    const live = await fetch(`${admin}/api/v1/components/pyroscope.scrape%2Fparams/live`);
    const reader = live.body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    found.push(...plantedLeaks("live", new TextDecoder().decode(first.value)));

    for (const args of [["print-config"], ["print-config", "--json"]]) {
      const printed = await runProfcol([...args, "--config", path], { entry: "main.ts" });
      assertEquals(printed.code, 0, printed.stderr);
      found.push(...plantedLeaks(args.join(" "), printed.stdout + printed.stderr));
    }
    await proc.kill();
    found.push(...plantedLeaks("logs", proc.stderr + proc.stdout));
    assert(/scrape target down/.test(proc.stderr), "scrape failures were logged");
    // The logged URLs are there, secrets replaced (the surface was exercised, not empty).
    assertStringIncludes(proc.stderr, "tenant=<secret>&token=<secret>");
    report("7 planted secrets", {
      forms: Object.keys(PLANTED).length * 4 + 1,
      pages_checked: pages.length + 1,
      log_lines_checked: proc.stderr.split("\n").length,
      leaks: found.length,
    });
    assertEquals(found, []);
    const withParams = targets.find((t) => t.url.includes("token="))!;
    assertEquals(withParams.labels.__param_token, "<secret>");
    assertEquals(withParams.labels.__param_tenant, "<secret>");
    assertEquals(
      new URL(withParams.url).searchParams.getAll("token").concat(
        new URL(withParams.url).searchParams.getAll("tenant"),
      ),
      ["<secret>", "<secret>"],
    );
  } finally {
    await proc.kill();
    await target.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});
