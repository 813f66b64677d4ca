/**
 * A TCP front for `serve` that times out slow request headers (`server_read_header_timeout`),
 * which `Deno.serve` cannot: it accepts connections itself (terminating TLS when configured),
 * relays each to the real server on a private Unix socket, and follows HTTP/1.1 framing on the
 * way in (head, `Content-Length` or chunked body) just enough to know when a request's head is
 * being read. A head not complete within the timeout (counted from the connection's start for
 * its first request, from the first byte for later ones, as Go's `ReadHeaderTimeout`) closes the
 * connection. Answers are relayed untouched. Framing it cannot follow (a head over 1 MiB, a
 * malformed chunk) is relayed as is, untimed, for the real server to refuse.
 *
 * Costs, why it is opt-in: every byte passes through JavaScript once more, handlers see the
 * Unix socket as the peer, and TLS offers HTTP/1.1 only (no HTTP/2).
 *
 * @module
 */

/** Options of {@linkcode startHeaderFront}. */
export interface HeaderFrontOptions {
  readonly hostname: string;
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The real server's Unix socket. */
  readonly upstream: string;
  /** Time allowed for a request's head, from the connection's start or the head's first byte. */
  readonly headerTimeoutMs: number;
  /** Told when a connection is closed for a slow head. */
  readonly onHeaderTimeout?: () => void;
}

/** A running front. */
export interface HeaderFront {
  readonly addr: Deno.NetAddr;
  /** Stops accepting connections; relayed ones go on. */
  stopAccepting(): void;
  /** Stops accepting and closes every relayed connection. */
  close(): void;
}

/** Largest request head accepted (Go's default `MaxHeaderBytes` is 1 MiB). */
const MAX_HEAD_BYTES = 1 << 20;

/** Starts the front (listening when it returns). */
export function startHeaderFront(options: HeaderFrontOptions): HeaderFront {
  const listener = options.tls
    ? Deno.listenTls({
      hostname: options.hostname,
      port: options.port,
      cert: options.tls.cert,
      key: options.tls.key,
      alpnProtocols: ["http/1.1"],
    })
    : Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const client of listener) {
      open.add(client);
      relay(client, options, open).catch(() => {}).finally(() => open.delete(client));
    }
  })().catch(() => {});
  return {
    addr: listener.addr as Deno.NetAddr,
    stopAccepting() {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
    },
    close() {
      this.stopAccepting();
      for (const conn of open) closeQuietly(conn);
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

async function relay(
  client: Deno.Conn,
  options: HeaderFrontOptions,
  open: Set<Deno.Conn>,
): Promise<void> {
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({ transport: "unix", path: options.upstream });
  } catch {
    closeQuietly(client);
    return;
  }
  open.add(upstream);
  const close = () => {
    closeQuietly(client);
    closeQuietly(upstream);
  };
  // Answers go back untouched.
  const back = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await upstream.read(buffer);
      if (n === null) break;
      await writeAll(client, buffer.subarray(0, n));
    }
  })().catch(() => {}).finally(close);
  const framer = new RequestFramer();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeHead = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      options.onHeaderTimeout?.();
      close();
    }, options.headerTimeoutMs);
  };
  timeHead(); // The first head is timed from the connection's start.
  try {
    const buffer = new Uint8Array(64 * 1024);
    let first = true;
    while (true) {
      const n = await client.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      if (!framer.failed) {
        const wasInHead = framer.inHead();
        const completed = framer.feed(chunk);
        if (framer.failed) clearTimeout(timer);
        else if (completed || (!wasInHead && !first)) {
          // A head that began in this chunk is timed from now (the keep-alive wait before a
          // later request is not timed); none pending, no timer.
          if (framer.inHead()) timeHead();
          else clearTimeout(timer);
        }
      }
      first = false;
      await writeAll(upstream, chunk);
    }
  } finally {
    clearTimeout(timer);
    // The client is done sending; the answer may still be on its way back.
    await upstream.closeWrite().catch(() => {});
    await back;
    open.delete(upstream);
  }
}

const CR = 13;
const LF = 10;

/**
 * Follows request framing byte by byte: where a head starts and ends, and how long the body
 * after it is. Unknown or malformed framing stops following (`failed`); the real server then
 * answers the request as it sees fit.
 */
export class RequestFramer {
  #state: "head" | "body" | "chunk_size" | "chunk_data" | "chunk_end" | "trailers" = "head";
  #head: number[] = [];
  #headBytes = 0;
  /** The last four bytes of the head or line being read. */
  #tail = 0;
  #remaining = 0;
  #line: number[] = [];
  failed = false;

  /** Part of a head has arrived. */
  inHead(): boolean {
    return this.#state === "head" && this.#headBytes > 0;
  }

  /** Feeds bytes from the client; whether a head was completed in them. */
  feed(bytes: Uint8Array): boolean {
    let completed = false;
    for (let i = 0; i < bytes.length && !this.failed; i++) {
      const byte = bytes[i]!;
      switch (this.#state) {
        case "head":
          if (this.#headBytes === 0 && (byte === CR || byte === LF)) break; // Stray CRLF.
          this.#headBytes++;
          if (this.#headBytes > MAX_HEAD_BYTES) {
            this.failed = true;
            break;
          }
          this.#head.push(byte);
          this.#tail = ((this.#tail << 8) | byte) >>> 0;
          if (this.#tail === 0x0d0a0d0a) {
            completed = true;
            this.#startBody();
          }
          break;
        case "body": {
          const take = Math.min(this.#remaining, bytes.length - i);
          this.#remaining -= take;
          i += take - 1;
          if (this.#remaining === 0) this.#nextHead();
          break;
        }
        case "chunk_size":
          this.#line.push(byte);
          if (byte === LF) {
            const size = parseInt(String.fromCharCode(...this.#line).split(";")[0]!.trim(), 16);
            this.#line = [];
            if (!Number.isSafeInteger(size) || size < 0) this.failed = true;
            else if (size === 0) this.#state = "trailers";
            else [this.#state, this.#remaining] = ["chunk_data", size + 2];
          } else if (this.#line.length > 1024) this.failed = true;
          break;
        case "chunk_data": {
          const take = Math.min(this.#remaining, bytes.length - i);
          this.#remaining -= take;
          i += take - 1;
          if (this.#remaining === 0) this.#state = "chunk_size";
          break;
        }
        case "trailers":
          this.#line.push(byte);
          if (byte === LF) {
            const empty = this.#line.length <= 2;
            this.#line = [];
            if (empty) this.#nextHead();
          } else if (this.#line.length > 8192) this.failed = true;
          break;
        default:
          break;
      }
    }
    return completed;
  }

  #startBody(): void {
    const head = new TextDecoder().decode(new Uint8Array(this.#head)).toLowerCase();
    this.#head = [];
    const chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(head);
    const length = /\r\ncontent-length:\s*(\d+)\s*\r\n/.exec(head);
    if (chunked) this.#state = "chunk_size";
    else if (length && Number(length[1]) > 0) {
      [this.#state, this.#remaining] = ["body", Number(length[1])];
    } else this.#nextHead();
  }

  #nextHead(): void {
    this.#state = "head";
    this.#headBytes = 0;
    this.#tail = 0;
  }
}
