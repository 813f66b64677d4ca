/**
 * An HTTP forward proxy on 127.0.0.1 for proxy tests: absolute-URI requests for http targets
 * and `CONNECT` tunnels for https targets, optionally requiring `Proxy-Authorization: Basic`.
 * Built on raw TCP (`Deno.listen`), since `Deno.serve` cannot answer CONNECT.
 *
 * @module
 */

import { concatBytes } from "../../core/bytes.ts";

/** What the proxy saw. */
export interface ProxiedRequest {
  method: string;
  target: string;
  proxyAuthorization: string | undefined;
}

/** A running proxy. */
export interface ForwardProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Starts the proxy; `requireBasicAuth` makes it answer 407 without those credentials. */
export function startForwardProxy(
  options: { requireBasicAuth?: { username: string; password: string } } = {},
): ForwardProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: ProxiedRequest[] = [];
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const expected = options.requireBasicAuth
    ? `Basic ${btoa(`${options.requireBasicAuth.username}:${options.requireBasicAuth.password}`)}`
    : undefined;

  const handle = async (client: Deno.Conn) => {
    conns.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      // Read the request head (up to the blank line).
      let head: Uint8Array = new Uint8Array(0);
      let end = -1;
      while (end < 0) {
        const chunk = new Uint8Array(16384);
        const n = await client.read(chunk);
        if (n === null) return;
        head = concatBytes([head, chunk.subarray(0, n)]);
        end = dec.decode(head).indexOf("\r\n\r\n");
      }
      const text = dec.decode(head);
      const headEnd = text.indexOf("\r\n\r\n") + 4;
      const lines = text.slice(0, headEnd).split("\r\n");
      const [method, target] = lines[0]!.split(" ");
      const auth = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]+:\s*/, "");
      requests.push({ method: method!, target: target!, proxyAuthorization: auth });
      if (expected !== undefined && auth !== expected) {
        await client.write(enc.encode(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="t"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        ));
        return;
      }
      if (method === "CONNECT") {
        const [host, port] = target!.split(":");
        upstream = await Deno.connect({ hostname: host!, port: Number(port) });
        await client.write(enc.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
        const rest = head.subarray(headEnd);
        if (rest.length > 0) await upstream.write(rest);
      } else {
        const url = new URL(target!);
        upstream = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
        // Rewrite the request line to origin form, drop proxy headers, force one request.
        const kept = lines.slice(1).filter((l) =>
          l !== "" && !/^proxy-/i.test(l) && !/^connection:/i.test(l)
        );
        const rewritten = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n${
          kept.join("\r\n")
        }\r\nConnection: close\r\n\r\n`;
        await upstream.write(enc.encode(rewritten));
        const rest = head.subarray(headEnd);
        if (rest.length > 0) await upstream.write(rest);
      }
      const up = upstream;
      // Whichever side finishes first ends the exchange (the rewritten request carries
      // Connection: close, so the answer's end is the end).
      await Promise.race([
        client.readable.pipeTo(up.writable, { preventClose: true }).catch(() => {}),
        up.readable.pipeTo(client.writable, { preventClose: true }).catch(() => {}),
      ]);
    } catch {
      // A side went away.
    } finally {
      for (const conn of [client, upstream]) {
        try {
          conn?.close();
        } catch {
          // Already closed.
        }
      }
      conns.delete(client);
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = handle(conn);
        tasks.add(task);
        void task.finally(() => tasks.delete(task));
      }
    } catch {
      // Closed.
    }
  })();

  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all([...tasks]);
    },
  };
}
