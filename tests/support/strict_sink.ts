/**
 * A strict Pyroscope-compatible sink for delivery tests (ARCHITECTURE §10). It decodes Connect
 * `Push` with protobufjs from the .proto written from the spec (not with profcol's codec),
 * answers with Connect semantics (docs/spec/pyroscope-wire.md §3.2–3.3), applies the server's checks of docs/spec/pyroscope-wire.md §7 (label
 * rules and limits, `service_name` fallback, 4 MiB decompressed cap, pprof parse and
 * `ValidateProfile`), accepts legacy `/ingest` (docs/spec/pyroscope-wire.md §6), and can be told to fail: a status, a
 * Connect error, a stall, a connection reset, or being down (connections refused).
 *
 * A raw TCP front forwards each connection to an internal `Deno.serve`, so a fault can reset
 * the very connection a request came on, and `down()` can refuse connections on the same port.
 *
 * @module
 */

import protobuf from "protobufjs";
import {
  CONNECT_CODE_TO_HTTP,
  type ConnectCode,
  connectErrorBody,
  isConnectCode,
} from "../../core/wire/connect.ts";
import { parseIngestName } from "../../core/pyroscope_labels/mod.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";
import { decodeProfile } from "../../pprof/profile.ts";

/** Options of {@linkcode startSink}. */
export interface SinkOptions {
  /** Refuse profiles outside the server's time window (1h old, 10m ahead). Default true. */
  validateTimeWindow?: boolean;
  /** Multitenancy on: 401 `unauthenticated` without `X-Scope-OrgID`. Default false. */
  requireTenant?: boolean;
  /** Answer success with a gzipped empty body (`Content-Encoding: gzip`). Default false. */
  gzipEmptySuccess?: boolean;
  /** Port to listen on; 0 picks one (kept across `down()`/`up()`). */
  port?: number;
}

/** One accepted push sample, in arrival order. */
export interface SinkPushRecord {
  tenant: string | undefined;
  labels: Record<string, string>;
  labelPairs: [string, string][];
  rawProfile: Uint8Array;
  id: string;
  headers: Headers;
  receivedAt: number;
  requestIndex: number;
}

/** One accepted `/ingest` request. */
export interface SinkIngestRecord {
  tenant: string | undefined;
  name: string;
  query: [string, string][];
  contentType: string[];
  body: Uint8Array;
  headers: Headers;
  receivedAt: number;
  requestIndex: number;
}

/** Every request, accepted or not, with the status answered (0 for a reset). */
export interface SinkRequestLog {
  index: number;
  path: string;
  method: string;
  status: number;
  receivedAt: number;
  headers: Headers;
  bytes: number;
  /** The body as received (a retried batch repeats the same bytes). */
  body: Uint8Array;
}

/** A fault to answer with instead of the normal behaviour. */
export type SinkFault =
  | {
    kind: "status";
    status: number;
    body?: string;
    contentType?: string;
    headers?: Record<string, string>;
  }
  | { kind: "connect_error"; code: string; message?: string; headers?: Record<string, string> }
  | { kind: "stall"; ms: number }
  | { kind: "reset" };

/** A running sink. */
export interface Sink {
  url: string;
  port: number;
  pushes: SinkPushRecord[];
  ingests: SinkIngestRecord[];
  requests: SinkRequestLog[];
  /** Queues `fault` for the next `times` requests (FIFO), then behaves normally. */
  failNext(fault: SinkFault, times?: number): void;
  /** Faults every request until cleared with `undefined`. */
  failAlways(fault: SinkFault | undefined): void;
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves once `pushes.length + ingests.length >= n`; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const PROTO_ROOT = new URL("./proto/", import.meta.url).pathname;
let pushRequestType: protobuf.Type | undefined;
function pushRequest(): protobuf.Type {
  if (!pushRequestType) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => `${PROTO_ROOT}${target}`;
    root.loadSync("push/v1/push.proto", { keepCase: true });
    pushRequestType = root.lookupType("push.v1.PushRequest");
  }
  return pushRequestType;
}

const MAX_PROFILE_BYTES = 4 * 1024 * 1024;
const CONNECT_TYPES = ["application/proto", "application/json"];

interface DecodedSeries {
  labels: [string, string][];
  samples: { rawProfile: Uint8Array; id: string }[];
}

class Refusal extends Error {
  constructor(readonly code: ConnectCode, message: string) {
    super(message);
  }
}

/** Starts a sink on 127.0.0.1. */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const validateTime = options.validateTimeWindow ?? true;
  const pushes: SinkPushRecord[] = [];
  const ingests: SinkIngestRecord[] = [];
  const requests: SinkRequestLog[] = [];
  const queued: SinkFault[] = [];
  let always: SinkFault | undefined;
  /** Backend connections by their front-side (client) port, to reset the right one. */
  const pairs = new Map<number, { front: Deno.Conn; back: Deno.Conn }>();
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((w) => w());

  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const url = new URL(req.url);
    const index = requests.length;
    const receivedAt = Date.now();
    const body = new Uint8Array(await req.arrayBuffer());
    const log: SinkRequestLog = {
      index,
      path: url.pathname,
      method: req.method,
      status: 0,
      receivedAt,
      headers: req.headers,
      bytes: body.byteLength,
      body,
    };
    requests.push(log);
    const fault = queued.shift() ?? always;
    if (fault?.kind === "reset") {
      const pair = pairs.get((info.remoteAddr as Deno.NetAddr).port);
      pair?.front.close();
      pair?.back.close();
      return new Response(null, { status: 500 });
    }
    if (fault?.kind === "stall") await new Promise((r) => setTimeout(r, fault.ms));
    let response: Response;
    if (fault?.kind === "status") {
      response = new Response(fault.body ?? "", {
        status: fault.status,
        headers: { "content-type": fault.contentType ?? "text/plain", ...fault.headers },
      });
    } else if (fault?.kind === "connect_error") {
      const code = isConnectCode(fault.code) ? fault.code : "unknown";
      response = connectErrorResponse(code, fault.message ?? fault.code, fault.headers);
    } else {
      response = handle(req, url, body, index, receivedAt);
    }
    log.status = response.status;
    notify();
    return response;
  };

  const handle = (
    req: Request,
    url: URL,
    raw: Uint8Array,
    index: number,
    receivedAt: number,
  ): Response => {
    const isPush = url.pathname === "/push.v1.PusherService/Push";
    const isIngest = url.pathname === "/ingest" || url.pathname === "/pyroscope/ingest";
    if (!isPush && !isIngest) return new Response("404 page not found", { status: 404 });
    if (req.method !== "POST") {
      return new Response("method not allowed", { status: 405, headers: { allow: "POST" } });
    }
    const tenant = req.headers.get("x-scope-orgid") ?? undefined;
    if (options.requireTenant && !tenant) {
      return connectErrorResponse("unauthenticated", "no org id");
    }
    try {
      if (isIngest) {
        ingests.push(checkIngest(req, url, raw, tenant, index, receivedAt));
        return new Response(null, { status: 200 });
      }
      const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!CONNECT_TYPES.includes(type)) {
        return new Response(null, {
          status: 415,
          headers: { "accept-post": "application/json, application/proto" },
        });
      }
      let body = raw;
      if ((req.headers.get("content-encoding") ?? "").toLowerCase() === "gzip") {
        body = gunzipIfNeeded(raw, 256 * 1024 * 1024);
      }
      const series = type === "application/json" ? decodeJson(body) : decodeProto(body);
      const accepted = checkPush(series, validateTime).map((s) => ({
        ...s,
        tenant,
        headers: req.headers,
        receivedAt,
        requestIndex: index,
      }));
      pushes.push(...accepted);
      if (type === "application/json") {
        return new Response("{}", { headers: { "content-type": "application/json" } });
      }
      if (options.gzipEmptySuccess) {
        return new Response(
          new Uint8Array([31, 139, 8, 0, 0, 0, 0, 0, 0, 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
          {
            headers: { "content-type": "application/proto", "content-encoding": "gzip" },
          },
        );
      }
      return new Response(null, { headers: { "content-type": "application/proto" } });
    } catch (error) {
      if (error instanceof Refusal) {
        if (isIngest) {
          const status = error.code === "invalid_argument" ? 400 : 422;
          return new Response(JSON.stringify({ code: error.code, message: error.message }), {
            status,
            headers: { "content-type": "application/json" },
          });
        }
        return connectErrorResponse(error.code, error.message);
      }
      throw error;
    }
  };

  // ---- network: internal server plus a raw TCP front ----------------------------------
  const backend = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const backendPort = backend.addr.port;
  let listener: Deno.Listener | undefined;
  let port = options.port ?? 0;
  const fronts = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();

  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable, { preventClose: false });
    } catch {
      // A closed or reset side ends the pipe.
    }
  };

  const serveConn = async (front: Deno.Conn) => {
    fronts.add(front);
    let back: Deno.Conn | undefined;
    try {
      back = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
      const key = (back.localAddr as Deno.NetAddr).port;
      pairs.set(key, { front, back });
      await Promise.all([pipe(front, back), pipe(back, front)]);
      pairs.delete(key);
    } finally {
      for (const conn of [front, back]) {
        try {
          conn?.close();
        } catch {
          // Already closed.
        }
      }
      fronts.delete(front);
    }
  };

  const accept = async (l: Deno.Listener) => {
    try {
      for await (const conn of l) {
        const pump = serveConn(conn).catch(() => {});
        pumps.add(pump);
        void pump.finally(() => pumps.delete(pump));
      }
    } catch {
      // Listener closed.
    }
  };
  let accepting: Promise<void> | undefined;

  const up = () => {
    if (listener) return Promise.resolve();
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    port = (listener.addr as Deno.NetAddr).port;
    accepting = accept(listener);
    return Promise.resolve();
  };
  const down = async () => {
    listener?.close();
    listener = undefined;
    await accepting;
    for (const conn of fronts) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all([...pumps]);
  };
  await up();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    pushes,
    ingests,
    requests,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) queued.push(fault);
    },
    failAlways(fault) {
      always = fault;
    },
    down,
    up,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (pushes.length + ingests.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `sink: expected ${n} profiles, got ${
              pushes.length + ingests.length
            } after ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 100));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close() {
      await down();
      await backend.shutdown();
    },
  };
}

// ---- decoding and the server's checks -----------------------------------------------------

function decodeProto(body: Uint8Array): DecodedSeries[] {
  let message: unknown;
  try {
    message = pushRequest().toObject(pushRequest().decode(body), {
      bytes: Uint8Array as never,
      defaults: true,
    });
  } catch (error) {
    throw new Refusal("invalid_argument", `unmarshal message: ${(error as Error).message}`);
  }
  const series = (message as { series?: unknown[] }).series ?? [];
  return series.map((s) => {
    const one = s as {
      labels?: { name?: string; value?: string }[];
      samples?: { raw_profile?: Uint8Array; ID?: string }[];
    };
    return {
      labels: (one.labels ?? []).map((l) => [l.name ?? "", l.value ?? ""] as [string, string]),
      samples: (one.samples ?? []).map((x) => ({
        rawProfile: x.raw_profile ?? new Uint8Array(),
        id: x.ID ?? "",
      })),
    };
  });
}

function decodeJson(body: Uint8Array): DecodedSeries[] {
  let parsed: { series?: unknown[] };
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (error) {
    throw new Refusal("invalid_argument", `unmarshal message: ${(error as Error).message}`);
  }
  return (parsed.series ?? []).map((s) => {
    const one = s as {
      labels?: { name?: string; value?: string }[];
      samples?: { rawProfile?: string; raw_profile?: string; ID?: string }[];
    };
    return {
      labels: (one.labels ?? []).map((l) => [l.name ?? "", l.value ?? ""] as [string, string]),
      samples: (one.samples ?? []).map((x) => ({
        rawProfile: Uint8Array.from(
          atob((x.rawProfile ?? x.raw_profile ?? "").replace(/-/g, "+").replace(/_/g, "/")),
          (c) => c.charCodeAt(0),
        ),
        id: x.ID ?? "",
      })),
    };
  });
}

type Accepted = Omit<SinkPushRecord, "tenant" | "headers" | "receivedAt" | "requestIndex">;

function checkPush(series: DecodedSeries[], validateTime: boolean): Accepted[] {
  const out: Accepted[] = [];
  let plainError: string | undefined;
  for (const one of series) {
    let pairs = one.labels;
    if (!pairs.some(([n, v]) => n === "service_name" && v !== "")) {
      pairs = [...pairs.filter(([n]) => n !== "service_name"), ["service_name", "unknown_service"]];
    }
    checkLabels(pairs);
    for (const sample of one.samples) {
      let decoded: Uint8Array;
      try {
        decoded = gunzipIfNeeded(sample.rawProfile, MAX_PROFILE_BYTES);
      } catch (error) {
        if (/exceeds|limit|larger/i.test((error as Error).message)) {
          throw new Refusal(
            "invalid_argument",
            `uncompressed profile payload size exceeds limit of ${MAX_PROFILE_BYTES} bytes`,
          );
        }
        plainError = `failed to decompress profile: ${(error as Error).message}`;
        continue;
      }
      if (decoded.byteLength > MAX_PROFILE_BYTES) {
        throw new Refusal("invalid_argument", "uncompressed profile payload size exceeds limit");
      }
      let profile: ReturnType<typeof decodeProfile>;
      try {
        profile = decodeProfile(decoded);
      } catch (error) {
        plainError = `failed to parse profile: ${(error as Error).message}`;
        continue;
      }
      validateProfile(profile, validateTime);
      out.push({
        labels: Object.fromEntries(pairs),
        labelPairs: pairs,
        rawProfile: sample.rawProfile,
        id: sample.id,
      });
    }
  }
  // Spec §7.2: with no valid sample the collected errors are returned; plain errors are
  // `unknown` (500). A good sample next to a bad one is stored and the request still fails.
  if (plainError !== undefined) {
    if (out.length === 0) throw new Refusal("unknown", plainError);
  }
  if (out.length === 0) throw new Refusal("invalid_argument", "no profiles received");
  return out;
}

function checkLabels(pairs: [string, string][]): void {
  const invalid = (msg: string) => {
    throw new Refusal(
      "invalid_argument",
      `invalid labels '${JSON.stringify(pairs)}' with error: ${msg}`,
    );
  };
  if (pairs.length > 30) invalid(`max label names per series (30) exceeded: ${pairs.length}`);
  const seen = new Set<string>();
  const encoder = new TextEncoder();
  let hasName = false;
  for (const [name, value] of pairs) {
    if (name === "") invalid("empty label name");
    if (seen.has(name)) invalid(`duplicate label name ${name}`);
    seen.add(name);
    if (!name.isWellFormed() || !value.isWellFormed()) invalid("invalid UTF-8");
    if (encoder.encode(name).byteLength > 1024) invalid("label name too long");
    if (encoder.encode(value).byteLength > 2048) invalid("label value too long");
    if (name === "__name__") hasName = value !== "";
  }
  if (!hasName) invalid("invalid metric name");
}

function validateProfile(p: ReturnType<typeof decodeProfile>, validateTime: boolean): void {
  const bad = (msg: string) => {
    throw new Refusal("invalid_argument", msg);
  };
  if (p.sampleType.length === 0) bad("empty profile");
  if (p.sample.length > 16000) bad("too many samples");
  if (p.stringTable[0] !== "") bad("string_table[0] must be empty");
  for (const s of p.sample) {
    if (s.value.length !== p.sampleType.length) {
      bad("sample value count does not match sample types");
    }
  }
  for (const l of p.location) if (l.id === 0) bad("location id 0");
  for (const f of p.function) if (f.id === 0) bad("function id 0");
  for (const t of p.sampleType) {
    if (t.type >= p.stringTable.length || t.unit >= p.stringTable.length) {
      bad("string index out of range");
    }
    if ((p.stringTable[t.type] ?? "").includes("-")) bad("sample type contains -");
  }
  if (validateTime && p.timeNanos !== 0) {
    const ms = p.timeNanos / 1e6;
    const now = Date.now();
    if (ms <= now - 3_600_000 || ms >= now + 600_000) {
      bad("profile time outside the ingestion window");
    }
  }
}

function checkIngest(
  req: Request,
  url: URL,
  body: Uint8Array,
  tenant: string | undefined,
  index: number,
  receivedAt: number,
): SinkIngestRecord {
  const name = url.searchParams.get("name");
  if (!name) throw new Refusal("invalid_argument", "name: required");
  try {
    parseIngestName(name);
  } catch (error) {
    throw new Refusal("invalid_argument", `name: ${(error as Error).message}`);
  }
  const contentType = (req.headers.get("content-type") ?? "").split(",").map((s) => s.trim())
    .filter((s) => s !== "");
  const format = url.searchParams.get("format") ?? "";
  if (format === "pprof" && !contentType.some((t) => t.startsWith("multipart/"))) {
    try {
      decodeProfile(gunzipIfNeeded(body, MAX_PROFILE_BYTES));
    } catch (error) {
      throw new Refusal("unknown", `failed to parse pprof: ${(error as Error).message}`);
    }
  }
  return {
    tenant,
    name,
    query: [...url.searchParams.entries()],
    contentType,
    body,
    headers: req.headers,
    receivedAt,
    requestIndex: index,
  };
}

/**
 * A Connect unary error response: the status from {@linkcode CONNECT_CODE_TO_HTTP},
 * `Content-Type: application/json` and the JSON body. Extra headers (e.g. `Retry-After`) are
 * added from `headers`.
 */
function connectErrorResponse(
  code: ConnectCode,
  message: string,
  headers?: HeadersInit,
): Response {
  const all = new Headers(headers);
  all.set("content-type", "application/json");
  return new Response(connectErrorBody(code, message), {
    status: CONNECT_CODE_TO_HTTP[code],
    headers: all,
  });
}
