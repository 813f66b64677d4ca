import { assertEquals } from "../tests/support/assert.ts";
import {
  isSecretParamName,
  redactLabels,
  redactText,
  redactValue,
  registerConfigSecrets,
  resetSecretRegistryForTests,
} from "./redact.ts";

Deno.test("redact: query parameters named like secrets, in any spelling", () => {
  for (
    const name of [
      "token",
      "access_token",
      "X-Amz-Signature",
      "sig",
      "apiKey",
      "api_key",
      "password",
      "passwd",
      "client_assertion",
      "auth",
      "credential",
    ]
  ) {
    assertEquals(isSecretParamName(name), true, name);
  }
  for (const name of ["seconds", "name", "format", "from", "until", "keyword", "debug"]) {
    assertEquals(isSecretParamName(name), false, name);
  }
});

Deno.test("redact: URLs in text lose user-info passwords, lone user-info and secret query values", () => {
  assertEquals(
    redactText("GET http://u:pw@10.0.0.1:80/p?seconds=14&access_token=abc&name=x failed"),
    "GET http://u:<secret>@10.0.0.1:80/p?seconds=14&access_token=<secret>&name=x failed",
  );
  assertEquals(redactText("https://ghp_abc@host/x"), "https://<secret>@host/x");
  assertEquals(
    redactText('<a href="/x?a=1&amp;token=t1">'),
    '<a href="/x?a=1&amp;token=<secret>">',
  );
  assertEquals(redactText('{__param_token="abc", job="j"}'), '{__param_token="<secret>", job="j"}');
  assertEquals(redactText('{"__param_key":"abc"}'), '{"__param_key":"<secret>"}');
  // Quoted values are redacted whole, whatever they contain; the quotes stay.
  assertEquals(redactText('{"__param_key":"a b, c"}'), '{"__param_key":"<secret>"}');
  assertEquals(redactText('{__param_key="a b", x="y"}'), '{__param_key="<secret>", x="y"}');
  assertEquals(
    redactText("__param_key=&quot;a b&quot; x"),
    "__param_key=&quot;<secret>&quot; x",
  );
  assertEquals(
    redactText(String.raw`"{\"__param_key\":\"a b\"}"`),
    String.raw`"{\"__param_key\":\"<secret>\"}"`,
  );
  assertEquals(redactText("__param_key=abc&x=1"), "__param_key=<secret>&x=1");
});

Deno.test("redact: configured params, headers, endpoint_params and token_url", () => {
  resetSecretRegistryForTests();
  try {
    const config = {
      receivers: {
        "pyroscope.scrape/a": {
          params: { tenant: ["acme-tenant-1"] },
          http_headers: { "X-Secret-Token": ["hdr-value-1"], "User-Agent": ["ua"] },
          proxy_url: "http://proxyuser:proxy-pass-1@127.0.0.1:3128",
          oauth2: {
            token_url: "http://127.0.0.1:9/token?audience=aud-value-1",
            endpoint_params: { client_assertion: "jwt-value-1" },
          },
        },
      },
    };
    registerConfigSecrets(config);
    assertEquals(redactValue(config), {
      receivers: {
        "pyroscope.scrape/a": {
          params: { tenant: "<secret>" },
          http_headers: { "X-Secret-Token": "<secret>", "User-Agent": ["ua"] },
          proxy_url: "http://proxyuser:<secret>@127.0.0.1:3128",
          oauth2: {
            token_url: "http://127.0.0.1:9/token?<secret>",
            endpoint_params: { client_assertion: "<secret>" },
          },
        },
      },
    });
    // A configured parameter name is a secret in URLs and labels, whatever it is called.
    assertEquals(redactText("http://h/p?tenant=acme-tenant-1"), "http://h/p?tenant=<secret>");
    assertEquals(redactLabels({ __param_tenant: "x", job: "j" }), {
      __param_tenant: "<secret>",
      job: "j",
    });
    // Configured values are caught wherever they are echoed, plain, URL-encoded or base64.
    for (const value of ["hdr-value-1", "proxy-pass-1", "aud-value-1", "jwt-value-1"]) {
      assertEquals(redactText(`x ${value} y`), "x <secret> y", value);
      assertEquals(redactText(`x ${btoa(value)} y`), "x <secret> y", value);
    }
    assertEquals(redactText("a%20b"), "a%20b");
  } finally {
    resetSecretRegistryForTests();
  }
});

Deno.test("redact: Basic and Bearer header values register their credential alone", () => {
  resetSecretRegistryForTests();
  try {
    registerConfigSecrets({
      headers: { Authorization: `Basic ${btoa("user:basic-pass-9")}`, "X-Key": "Bearer tok-tok-9" },
    });
    assertEquals(redactText("basic-pass-9 tok-tok-9"), "<secret> <secret>");
    registerConfigSecrets({ basic_auth: { username: "ann", password: "ann-pass-1" } });
    assertEquals(redactText(`Basic ${btoa("ann:ann-pass-1")}`), "Basic <secret>");
  } finally {
    resetSecretRegistryForTests();
  }
});

Deno.test("redact: redacting twice changes nothing more", () => {
  for (
    const text of [
      "http://u:pw@h/p?token=abc&seconds=1",
      'token_url="http://h/t?a=b"',
      '{__param_token="abc"}',
      '{"__param_token":"a b"}',
      "__param_token=&quot;a b&quot;",
      "https://tok@h/",
    ]
  ) {
    assertEquals(redactText(redactText(text)), redactText(text), text);
  }
});

Deno.test("redact: class instances are shown through their JSON or text form", () => {
  class Labels {
    toString() {
      return '{__param_token="abc"}';
    }
  }
  assertEquals(
    redactValue({
      url: new URL("http://h/p?token=abc"),
      at: new Date(0),
      labels: new Labels(),
      bytes: new Uint8Array([1]),
    }),
    {
      url: "http://h/p?token=<secret>",
      at: "1970-01-01T00:00:00.000Z",
      labels: '{__param_token="<secret>"}',
      bytes: new Uint8Array([1]),
    },
  );
});
