/**
 * HTTP server options shared by every component that listens: Alloy's `http` block
 * (`listen_address`, `listen_port`, `conn_limit`, `server_read_timeout`,
 * `server_write_timeout`, `server_idle_timeout`), profcol's slow-client settings
 * (`server_min_body_rate`, `server_min_body_rate_grace`) and a `tls` block for a server
 * certificate.
 *
 * What Deno's server cannot do is refused at validation time with a message that says so,
 * rather than accepted and ignored: requiring or verifying client certificates (mTLS).
 *
 * @example
 * ```ts
 * import { httpServerConfigSchema } from "./server_config.ts";
 * const http = httpServerConfigSchema.parse({ listen_address: "127.0.0.1", listen_port: 0 });
 * http.server_read_timeout; // 30000
 * ```
 * @module
 */

import { z } from "zod";
import {
  byteSizeField,
  durationField,
  intField,
  portField,
  stringField,
} from "../config/fields.ts";

/** Default `conn_limit` of receive_http (Alloy overrides the generic default of 0). */
export const DEFAULT_CONN_LIMIT = 16384;

/**
 * The slow-client settings (profcol's, in the `server_*` style of Alloy's block):
 * `server_read_header_timeout` (Go's `ReadHeaderTimeout`; `0s`, the default, is none) closes a
 * connection whose request head is not complete in time — served through a relaying front
 * (`header_front.ts`), as `Deno.serve` has no such timeout; a body read
 * averaging under `server_min_body_rate` bytes per second after `server_min_body_rate_grace`
 * is cut with 408, and may lose its in-flight slot to a waiting request (see `RequestGate`).
 * `0` turns the minimum rate off.
 */
export function slowClientShape() {
  return {
    server_read_header_timeout: durationField().prefault("10s"),
    server_min_body_rate: byteSizeField().prefault("1KiB"),
    server_min_body_rate_grace: durationField().prefault("1s"),
  };
}

/**
 * Default `max_series_per_request` of the ingest receivers: far above what an SDK or Alloy
 * sends in one request (a few series per target), far below where one request's work (decode,
 * reserve at every exporter) would hold the event loop for long.
 */
export const DEFAULT_MAX_SERIES_PER_REQUEST = 10_000;

/** Fields of Alloy's `http` block, for components that need other defaults. */
export function httpServerConfigShape(defaults: { port?: number; connLimit?: number } = {}) {
  return {
    /** Address to bind; `""` (Alloy's default) means every IPv4 interface (`0.0.0.0`). */
    listen_address: stringField().default(""),
    listen_port: portField().default(defaults.port ?? 8080),
    /** Concurrent requests allowed (see `serve`); 0 means no limit. */
    conn_limit: intField({ min: 0 }).default(defaults.connLimit ?? DEFAULT_CONN_LIMIT),
    server_read_timeout: durationField().prefault("30s"),
    server_write_timeout: durationField().prefault("30s"),
    server_idle_timeout: durationField().prefault("120s"),
    ...slowClientShape(),
  };
}

/** Alloy's `http` block with receive_http's defaults. */
export const httpServerConfigSchema = z.strictObject(httpServerConfigShape());

/** The `http` block as parsed (durations in milliseconds). */
export type HttpServerConfig = z.output<typeof httpServerConfigSchema>;

const MTLS_UNSUPPORTED = "requiring or verifying client certificates (mTLS) is not supported " +
  "by Deno's HTTP server; terminate mTLS at a proxy (e.g. Envoy, nginx) in front of profcol " +
  "and use the auth block for client authentication";

/**
 * The server `tls` block: a certificate and key, inline (`cert_pem`, `key_pem`) or from files
 * (`cert_file`, `key_file`). The client-certificate settings of Alloy/dskit
 * (`client_ca_pem`, `client_ca_file`, `client_auth_type` other than `NoClientCert`) are
 * recognized only to be refused with an explanation.
 */
export const tlsServerConfigSchema = z.strictObject({
  cert_pem: stringField().optional(),
  cert_file: stringField().optional(),
  key_pem: stringField().optional(),
  key_file: stringField().optional(),
  client_ca_pem: stringField().optional(),
  client_ca_file: stringField().optional(),
  client_auth_type: stringField().optional(),
}).superRefine((tls, ctx) => {
  const fail = (path: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  if (tls.cert_pem !== undefined && tls.cert_file !== undefined) {
    fail("cert_file", "set only one of cert_pem and cert_file");
  }
  if (tls.key_pem !== undefined && tls.key_file !== undefined) {
    fail("key_file", "set only one of key_pem and key_file");
  }
  const hasCert = tls.cert_pem !== undefined || tls.cert_file !== undefined;
  const hasKey = tls.key_pem !== undefined || tls.key_file !== undefined;
  if (hasCert !== hasKey) {
    fail(
      hasCert ? "key_pem" : "cert_pem",
      "a server certificate needs both a certificate (cert_pem or cert_file) and its key " +
        "(key_pem or key_file)",
    );
  }
  if (tls.client_ca_pem !== undefined) fail("client_ca_pem", MTLS_UNSUPPORTED);
  if (tls.client_ca_file !== undefined) fail("client_ca_file", MTLS_UNSUPPORTED);
  if (tls.client_auth_type !== undefined && tls.client_auth_type !== "NoClientCert") {
    fail("client_auth_type", `${JSON.stringify(tls.client_auth_type)}: ${MTLS_UNSUPPORTED}`);
  }
});

/** The `tls` block as parsed. */
export type TlsServerConfig = z.output<typeof tlsServerConfigSchema>;

/** Whether a parsed `tls` block turns TLS on (a certificate is configured). */
export function tlsEnabled(tls: TlsServerConfig | undefined): boolean {
  return tls !== undefined && (tls.cert_pem !== undefined || tls.cert_file !== undefined);
}

/** Reads the certificate and key of a `tls` block, naming the file that cannot be read. */
export async function loadServerTls(
  tls: TlsServerConfig,
): Promise<{ cert: string; key: string } | undefined> {
  if (!tlsEnabled(tls)) return undefined;
  const read = async (inline: string | undefined, file: string | undefined, field: string) => {
    if (inline !== undefined) return inline;
    try {
      return await Deno.readTextFile(file!);
    } catch (error) {
      throw new Error(`tls.${field}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  return {
    cert: await read(tls.cert_pem, tls.cert_file, "cert_file"),
    key: await read(tls.key_pem, tls.key_file, "key_file"),
  };
}
