/**
 * A small HTTP server around `Deno.serve` for components that listen: binds the `http` block's
 * address and port, serves TLS when the `tls` block has a certificate, caps concurrent requests
 * at `conn_limit`, answers a handler that outlives `server_write_timeout` with 503, and shuts
 * down cleanly (stops accepting, aborts body reads in progress, waits for handlers).
 *
 * Request bodies are read by `readBody` (`read_body.ts`). With `server_read_header_timeout`
 * set, connections are accepted by a relaying front (`header_front.ts`) that times request
 * heads, which `Deno.serve` cannot; the server itself then listens on a private Unix socket.
 *
 * Limits of Deno's server, documented rather than faked: there is no connection count hook,
 * so `conn_limit` limits concurrent requests (a request over it gets 429 with `Retry-After`);
 * and there is no keep-alive idle timeout option, so `server_idle_timeout` is accepted but
 * Deno's own idle handling applies.
 *
 * @example
 * ```ts
 * import { serve } from "./server.ts";
 * const server = await serve({
 *   http: { listen_address: "127.0.0.1", listen_port: 0, conn_limit: 0,
 *     server_read_timeout: 30_000, server_write_timeout: 30_000, server_idle_timeout: 120_000,
 *     server_read_header_timeout: 10_000 },
 *   handler: () => new Response("ok"),
 * });
 * await fetch(server.url).then((r) => r.text()); // "ok"
 * await server.shutdown();
 * ```
 * @module
 */

import type { Logger } from "../telemetry/logger.ts";
import { type HeaderFront, startHeaderFront } from "./header_front.ts";
import { type HttpServerConfig, loadServerTls, type TlsServerConfig } from "./server_config.ts";

/**
 * An error that maps to an HTTP status, thrown by `readBody` and handlers: `reason` is the
 * metric label value, `headers` go on the answer (e.g. `Allow`, `Accept-Post`).
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Context given to handlers beside the request. */
export interface HandlerContext {
  /** Aborted when the server shuts down; pass it to `readBody`. */
  readonly signal: AbortSignal;
  readonly remoteAddr: Deno.NetAddr;
}

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** The `http` block; the body-rate settings are the body reader's, not the server's. */
  readonly http: Omit<HttpServerConfig, "server_min_body_rate" | "server_min_body_rate_grace">;
  readonly tls?: TlsServerConfig;
  readonly handler: (request: Request, context: HandlerContext) => Response | Promise<Response>;
  readonly logger?: Logger;
  /** Called when a request is refused by `conn_limit` or timed out by the write timeout. */
  readonly onRefused?: (reason: "conn_limit" | "write_timeout" | "header_timeout") => void;
}

/** A running server. */
export interface RunningServer {
  /** The bound address (read the port from here when `listen_port` was 0). */
  readonly addr: Deno.NetAddr;
  /** `http(s)://host:port` of the bound address (`0.0.0.0` shown as `127.0.0.1`). */
  readonly url: string;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stops accepting, aborts pending body reads, waits for handlers. Safe twice. */
  shutdown(): Promise<void>;
}

function plain(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Starts a server; resolves once it listens. Errors (port in use, bad cert) reject. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { http, logger } = options;
  const tls = options.tls ? await loadServerTls(options.tls) : undefined;
  const closing = new AbortController();
  let inFlight = 0;

  const handle = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    if (http.conn_limit > 0 && inFlight >= http.conn_limit) {
      options.onRefused?.("conn_limit");
      return plain(429, `too many concurrent requests (conn_limit ${http.conn_limit})`, {
        "retry-after": "1",
      });
    }
    inFlight++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const work = Promise.resolve(
        options.handler(request, {
          signal: closing.signal,
          remoteAddr: info.remoteAddr as Deno.NetAddr,
        }),
      );
      if (http.server_write_timeout <= 0) return await work;
      // The write timeout starts when the handler runs; body reads have their own deadline.
      const deadline = http.server_read_timeout + http.server_write_timeout;
      const timeout = new Promise<Response>((resolve) => {
        timer = setTimeout(() => {
          options.onRefused?.("write_timeout");
          resolve(plain(503, "request timed out (server_write_timeout)", { "retry-after": "1" }));
        }, deadline);
      });
      return await Promise.race([work, timeout]);
    } catch (error) {
      if (error instanceof HttpError) return plain(error.status, error.message, error.headers);
      logger?.error("request handler failed", { err: error });
      return plain(500, "internal error");
    } finally {
      clearTimeout(timer);
      inFlight--;
    }
  };

  const hostname = http.listen_address === "" ? "0.0.0.0" : http.listen_address;
  const onError = (error: unknown) => {
    logger?.error("request failed", { err: error });
    return plain(500, "internal error");
  };
  // With a header timeout, a front takes the connections and relays them over a Unix socket.
  const fronted = http.server_read_header_timeout > 0;
  const socketDir = fronted ? await socketDirectory() : undefined;
  const listening = Promise.withResolvers<Deno.NetAddr | Deno.UnixAddr>();
  const server = Deno.serve({
    ...(socketDir === undefined
      ? { hostname, port: http.listen_port, ...(tls ?? {}) }
      : { path: `${socketDir}/http.sock` }),
    signal: closing.signal,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr | Deno.UnixAddr),
    onError,
  }, handle);
  server.finished.catch(() => {});
  const bound = await Promise.race([
    listening.promise,
    server.finished.then(() => {
      throw new Error(`server on ${http.listen_address}:${http.listen_port} stopped at once`);
    }),
  ]);
  let front: HeaderFront | undefined;
  if (socketDir !== undefined) {
    try {
      front = startHeaderFront({
        hostname,
        port: http.listen_port,
        tls,
        upstream: `${socketDir}/http.sock`,
        headerTimeoutMs: http.server_read_header_timeout,
        onHeaderTimeout: () => options.onRefused?.("header_timeout"),
      });
    } catch (error) {
      closing.abort();
      await server.finished.catch(() => {});
      await Deno.remove(socketDir, { recursive: true }).catch(() => {});
      throw error;
    }
  }
  const addr = front?.addr ?? (bound as Deno.NetAddr);
  const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    addr,
    url: `${tls ? "https" : "http"}://${shownHost}:${addr.port}`,
    inFlight: () => inFlight,
    shutdown() {
      stopped ??= (async () => {
        front?.stopAccepting();
        closing.abort(new HttpError(503, "server is shutting down", "shutdown"));
        await server.shutdown().catch(() => {});
        await server.finished.catch(() => {});
        front?.close();
        if (socketDir !== undefined) {
          await Deno.remove(socketDir, { recursive: true }).catch(() => {});
        }
      })();
      return stopped;
    },
  };
}

/** A private directory for the server's Unix socket behind the header-timeout front. */
async function socketDirectory(): Promise<string> {
  try {
    return await Deno.makeTempDir({ prefix: "profcol-http-" });
  } catch (error) {
    throw new Error(
      "server_read_header_timeout needs a writable temporary directory for the server's Unix " +
        `socket (${(error as Error).message}); set TMPDIR to one, or set ` +
        "server_read_header_timeout: 0s to serve without a header timeout",
    );
  }
}
