/**
 * `pyroscope.receive_http` from Alloy: `http > tls` moves up to `tls`; tenants are not passed on
 * (`tenant.enabled: false`), as Alloy drops `X-Scope-OrgID`.
 *
 * @module
 */

import type { AlloyMapping } from "../../core/alloy.ts";

/** Alloy's `pyroscope.receive_http`. */
export const pyroscopeReceiveHttpAlloy: AlloyMapping = {
  type: "pyroscope.receive_http",
  convert(block) {
    const config = block.body();
    const http = config.http as Record<string, unknown> | undefined;
    if (http && "tls" in http) {
      const { tls, ...rest } = http;
      config.http = rest;
      config.tls = tls;
    }
    config.tenant = { enabled: false };
    return config;
  },
};
