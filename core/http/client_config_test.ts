import { assert, assertStringIncludes } from "../../tests/support/assert.ts";
import { z } from "zod";
import { checkHttpClientConfig, httpClientConfigShape } from "./client_config.ts";

const schema = z.strictObject(httpClientConfigShape).superRefine(checkHttpClientConfig);
function problems(config: unknown): string {
  const result = schema.safeParse(config);
  assert(!result.success, `expected ${JSON.stringify(config)} to be refused`);
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

Deno.test("client config: exclusive pairs are refused, naming both", () => {
  assertStringIncludes(
    problems({ bearer_token: "a", bearer_token_file: "/f" }),
    "bearer_token and bearer_token_file",
  );
  assertStringIncludes(
    problems({ bearer_token: "a", oauth2: { token_url: "http://t" } }),
    "at most one of bearer_token, oauth2",
  );
  assertStringIncludes(
    problems({ basic_auth: { password: "a", password_file: "/f" } }),
    "password and password_file",
  );
  assertStringIncludes(
    problems({ authorization: { credentials: "a", credentials_file: "/f" } }),
    "credentials and credentials_file",
  );
  assertStringIncludes(
    problems({ oauth2: { token_url: "http://t", client_secret: "a", client_secret_file: "/f" } }),
    "client_secret and client_secret_file",
  );
  assertStringIncludes(
    problems({ tls_config: { ca_pem: "x", ca_file: "/f" } }),
    "ca_pem and ca_file",
  );
  assertStringIncludes(
    problems({ tls_config: { cert_file: "/c" } }),
    "certificate and key must both be set",
  );
  assertStringIncludes(problems({ no_proxy: "a" }), "no_proxy requires proxy_url");
  assertStringIncludes(
    problems({ proxy_url: "http://p", proxy_from_environment: true }),
    "mutually exclusive",
  );
  assertStringIncludes(
    problems({ authorization: { type: "Basic", credentials: "x" } }),
    "use basic_auth",
  );
});

Deno.test("client config: what Deno cannot do is refused with what to do instead", () => {
  assertStringIncludes(
    problems({ tls_config: { insecure_skip_verify: true } }),
    "--unsafely-ignore-certificate-errors",
  );
  assertStringIncludes(
    problems({ oauth2: { token_url: "http://t", tls_config: { insecure_skip_verify: true } } }),
    "oauth2.tls_config.insecure_skip_verify",
  );
  assertStringIncludes(
    problems({ tls_config: { server_name: "x" } }),
    "cannot override the TLS server name",
  );
  assertStringIncludes(
    problems({ tls_config: { min_version: "TLS13" } }),
    "cannot be limited to 1.3",
  );
  assertStringIncludes(
    problems({ proxy_url: "http://p", proxy_connect_header: { "X-Trace": ["1"] } }),
    'header "X-Trace" cannot be sent to the proxy',
  );
  assertStringIncludes(
    problems({
      proxy_url: "http://p",
      proxy_connect_header: { "Proxy-Authorization": ["Bearer x"] },
    }),
    "Basic <base64",
  );
  assertStringIncludes(
    problems({ proxy_connect_header: { "Proxy-Authorization": [`Basic ${btoa("u:p")}`] } }),
    "requires proxy_url",
  );
  assertStringIncludes(problems({ proxy_url: "ftp://p" }), "must be http://");
});

Deno.test("client config: supported combinations pass", () => {
  const ok = schema.safeParse({
    basic_auth: { username: "u", password_file: "/p" },
    tls_config: { ca_file: "/ca", cert_file: "/c", key_file: "/k", min_version: "TLS12" },
    proxy_url: "http://user:pw@proxy:3128",
    no_proxy: "internal",
    proxy_connect_header: { "Proxy-Authorization": [`Basic ${btoa("u:p")}`] },
  });
  assert(ok.success, JSON.stringify(ok.error?.issues));
});
