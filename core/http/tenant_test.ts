import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { LabelSet } from "../labels.ts";
import { HttpError } from "./server.ts";
import { tenantConfigSchema, tenantLabeler } from "./tenant.ts";

/** Labels a client sent, claiming a tenant under both the canonical name and an alias. */
const claimed = LabelSet.from({ __name__: "cpu", __tenant_id__: "evil", __org__: "evil" });

function labeled(config: Record<string, unknown>, headers: Record<string, string> = {}) {
  const request = new Request("http://127.0.0.1/", { headers });
  return tenantLabeler(tenantConfigSchema.parse(config), request)(claimed).toRecord();
}

Deno.test("tenantLabeler: the header is the tenant, under __tenant_id__ and the alias", () => {
  assertEquals(labeled({ label: "__org__" }, { "X-Scope-OrgID": " team-a " }), {
    __name__: "cpu",
    __org__: "team-a",
    __tenant_id__: "team-a",
  });
  assertEquals(labeled({ from_header: "X-Tenant" }, { "X-Tenant": "team-b" }), {
    __name__: "cpu",
    __org__: "evil",
    __tenant_id__: "team-b",
  });
});

Deno.test("tenantLabeler: no header, or tenant off, leaves no tenant a client chose", () => {
  assertEquals(labeled({ label: "__org__" }), { __name__: "cpu" });
  assertEquals(labeled({}), { __name__: "cpu", __org__: "evil" });
  assertEquals(labeled({ enabled: false }, { "X-Scope-OrgID": "team-a" }), {
    __name__: "cpu",
    __org__: "evil",
  });
  assertThrows(() => labeled({ required: true }), HttpError, "missing X-Scope-OrgID header");
});
