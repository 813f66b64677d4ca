/**
 * Test helpers for `pyroscope.receive_http` (test-only): a receiver on 127.0.0.1 with a
 * scriptable consumer, and small request builders.
 *
 * @module
 */

import type { Demand } from "../../core/admission.ts";
import type { Consumer } from "../../core/component.ts";
import type { Item } from "../../core/items.ts";
import { testSettings } from "../../core/testing/conformance.ts";
import { MetricsRegistry } from "../../core/telemetry/metrics.ts";
import { receiveHttpConfigSchema } from "./config.ts";
import { ReceiveHttpReceiver } from "./receive_http.ts";
import { concatBytes } from "../../core/bytes.ts";

/** A tiny valid pprof (one sample type), as in docs/spec/pyroscope-wire.md §2.2. */
export const TOY_PPROF = new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]);

/** A consumer that records requests, or refuses them with `fail` when set. */
export class ScriptedConsumer implements Consumer {
  readonly items: Item[] = [];
  readonly requests: (readonly Item[])[] = [];
  fail: (() => Error) | undefined;
  /** What `check` throws (the early refusal before a body is read), when set. */
  full: (() => Error) | undefined;
  consume(items: readonly Item[]): Promise<void> {
    if (this.fail) return Promise.reject(this.fail());
    this.requests.push(items);
    for (const item of items) this.items.push(item);
    return Promise.resolve();
  }
  check(_demand: Demand): void {
    if (this.full) throw this.full();
  }
}

/** A receiver under test and what it forwards to. */
export interface Running {
  readonly receiver: ReceiveHttpReceiver;
  readonly consumer: ScriptedConsumer;
  readonly metrics: MetricsRegistry;
  /** The base URL requests go to (a real socket, or a placeholder in process). */
  readonly url: string;
  /** Sends a request for `path` (e.g. `/ingest?name=app`) to the receiver. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  [Symbol.asyncDispose](): Promise<void>;
}

function create(
  config: Record<string, unknown>,
  consumer: ScriptedConsumer,
): { receiver: ReceiveHttpReceiver; metrics: MetricsRegistry } {
  const metrics = new MetricsRegistry();
  const { http, ...rest } = config as { http?: Record<string, unknown> };
  const parsed = receiveHttpConfigSchema.parse({
    ...rest,
    http: { listen_address: "127.0.0.1", listen_port: 0, ...http },
  });
  const receiver = new ReceiveHttpReceiver(
    testSettings("pyroscope.receive_http/test", { metrics }),
    parsed,
    consumer,
  );
  return { receiver, metrics };
}

/**
 * A receiver answering through `handle` with no socket (as Hono's `app.request`): for unit
 * tests of routes, statuses and what reaches the pipeline.
 */
export function inProcessReceiver(
  config: Record<string, unknown> = {},
  consumer: ScriptedConsumer = new ScriptedConsumer(),
): Running {
  const { receiver, metrics } = create(config, consumer);
  const url = "http://127.0.0.1";
  return {
    receiver,
    consumer,
    metrics,
    url,
    fetch: (path, init) => receiver.handle(new Request(url + path, init)),
    [Symbol.asyncDispose]: () => receiver.shutdown(),
  };
}

/** Starts a receiver on 127.0.0.1:0 with `config` merged over the defaults. */
export async function startReceiver(
  config: Record<string, unknown> = {},
  consumer: ScriptedConsumer = new ScriptedConsumer(),
): Promise<Running> {
  const { receiver, metrics } = create(config, consumer);
  await receiver.start();
  const url = receiver.url!;
  return {
    receiver,
    consumer,
    metrics,
    url,
    fetch: (path, init) => fetch(url + path, init),
    [Symbol.asyncDispose]: () => receiver.shutdown(),
  };
}

/** Builds a multipart body like the Go SDK's (file parts with filenames). */
export function multipartBody(
  parts: { name: string; filename?: string; data: Uint8Array | string }[],
  boundary = "XYZboundary",
): { body: Uint8Array; contentType: string } {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const filename = part.filename ? `; filename="${part.filename}"` : "";
    chunks.push(encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    ));
    chunks.push(typeof part.data === "string" ? encoder.encode(part.data) : part.data);
    chunks.push(encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  return {
    body: concatBytes(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * Sends raw bytes over TCP and returns what the server answered (until it closes or
 * `timeoutMs` passes). For requests `fetch` cannot make: truncated bodies, stalled clients.
 */
export async function rawRequest(
  url: string,
  parts: (Uint8Array | string | number)[],
  timeoutMs = 2000,
): Promise<string> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const encoder = new TextEncoder();
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (const part of parts) {
      // A number is a pause in milliseconds between writes.
      if (typeof part === "number") await new Promise((r) => setTimeout(r, part));
      else await conn.write(typeof part === "string" ? encoder.encode(part) : part);
    }
    const decoder = new TextDecoder();
    let text = "";
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
      if (/\r\n\r\n/.test(text) && responseComplete(text)) break;
    }
    return text;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer already.
    }
  }
}

function responseComplete(text: string): boolean {
  const head = text.slice(0, text.indexOf("\r\n\r\n"));
  const match = /content-length:\s*(\d+)/i.exec(head);
  const bodyLength = text.length - head.length - 4;
  if (match) return bodyLength >= Number(match[1]);
  return /transfer-encoding:\s*chunked/i.test(head) ? text.endsWith("0\r\n\r\n") : true;
}
