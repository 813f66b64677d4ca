import { assertEquals } from "../../tests/support/assert.ts";
import { ProxySelector } from "./proxy.ts";

const P = "http://proxy:3128";

Deno.test("no_proxy: Go's httpproxy matching rules", () => {
  const select = new ProxySelector({
    proxyUrl: P,
    noProxy:
      "internal.example, .corp.example,10.0.0.0/8,192.168.1.7,example.org:8443,[::1]:9,fd00::/8",
  });
  const cases: [string, string | undefined][] = [
    ["http://internal.example/x", undefined],
    ["http://api.internal.example/x", undefined],
    ["http://notinternal.example/x", P],
    ["http://corp.example/", P], // a leading dot matches subdomains only
    ["http://a.corp.example/", undefined],
    ["http://10.1.2.3:4040/", undefined],
    ["http://11.1.2.3/", P],
    ["http://192.168.1.7/", undefined],
    ["http://192.168.1.8/", P],
    ["https://example.org:8443/", undefined],
    ["https://example.org/", P],
    ["http://[fd00::1]:4040/", undefined],
    ["http://[fe80::1]/", P],
    ["https://profiles-prod-001.grafana.net/", P],
    ["http://localhost:4040/", undefined], // with no_proxy set, loopback is never proxied
  ];
  for (const [url, expected] of cases) assertEquals(select.proxyFor(new URL(url)), expected, url);
});

Deno.test("no_proxy: * bypasses everything; a plain proxy_url proxies loopback too", () => {
  assertEquals(
    new ProxySelector({ proxyUrl: P, noProxy: "*" }).proxyFor(new URL("http://a/")),
    undefined,
  );
  assertEquals(new ProxySelector({ proxyUrl: P }).proxyFor(new URL("http://127.0.0.1:1/")), P);
});

Deno.test("proxy_from_environment: by scheme, either case, NO_PROXY honoured", () => {
  const env: Record<string, string> = {
    http_proxy: "http://plain:1",
    HTTPS_PROXY: "http://secure:2",
    no_proxy: "skip.example",
  };
  const select = new ProxySelector({ fromEnvironment: true, env: (name) => env[name] });
  assertEquals(select.proxyFor(new URL("http://a.example/")), "http://plain:1");
  assertEquals(select.proxyFor(new URL("https://a.example/")), "http://secure:2");
  assertEquals(select.proxyFor(new URL("https://x.skip.example/")), undefined);
  assertEquals(select.proxyFor(new URL("http://127.0.0.1/")), undefined);
  assertEquals(select.proxies.sort(), ["http://plain:1", "http://secure:2"]);
  const none = new ProxySelector({ fromEnvironment: true, env: () => undefined });
  assertEquals(none.proxyFor(new URL("https://a.example/")), undefined);
});
