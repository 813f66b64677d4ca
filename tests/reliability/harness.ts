/**
 * Shared machinery of the reliability scenarios: a real collector process (receive_http →
 * pyroscope.write → strict sinks), distinct valid profiles identified by content hash, load
 * over both ingest APIs, process RSS, and a report line per scenario (sent / arrived /
 * dropped) printed for the CI log and RELIABILITY.md.
 *
 * @module
 */

import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { LabelSet } from "../../core/labels.ts";
import { Profcol, tempConfig } from "../support/process.ts";
import type { Sink } from "../support/strict_sink.ts";

import { profileBytes } from "../support/profiles.ts";

export { profileBytes };

/** Hex SHA-256 of bytes: how scenarios match what arrived with what was sent. */
export async function hash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A running collector. */
export interface Collector {
  proc: Profcol;
  /** The receive_http base URL. */
  url: string;
  admin: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `main.ts run` with `config` and waits for its receiver and admin server. */
export async function startCollector(dir: string, config: string): Promise<Collector> {
  const proc = new Profcol(["run", "--config", tempConfig(config, dir)], { entry: "main.ts" });
  const match = await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/, 30_000);
  const admin = await proc.adminUrl();
  return { proc, url: match[1]!, admin, pid: proc.child.pid, stop: () => proc.kill() };
}

/** A receive_http → pyroscope.write config; `endpoints` are YAML list items (indented). */
export function gatewayConfig(
  endpoints: string,
  options: { queue?: string; receiver?: string } = {},
): string {
  // The strict profile check is on: the campaign proves what a hardened gateway refuses.
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    validate_profiles: true
${options.receiver ?? ""}
exporters:
  pyroscope.write/out:
    endpoint:
${endpoints}
${options.queue ?? ""}
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [pyroscope.write/out] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
  shutdown_timeout: 5s
`;
}

/** An endpoint list item for a sink with short backoffs that never give up. */
export function sinkEndpoint(sink: Sink, extra = ""): string {
  return `      - url: ${sink.url}
        min_backoff_period: 100ms
        max_backoff_period: 1s
        max_backoff_retries: 0
${extra ? `${extra}\n` : ""}`;
}

/** The outcome of one request. */
export interface Sent {
  status: number;
  hash: string;
  retryAfter: string | null;
}

/** Sends profile `n` as a Connect Push (binary). */
export async function sendPush(url: string, n: number, size = 0): Promise<Sent> {
  const raw = profileBytes(n, size);
  const body = encodePushRequest([{
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "reliability", n: String(n) }),
    samples: [{ rawProfile: raw }],
  }]);
  return await post(`${url}/push.v1.PusherService/Push`, body, "application/proto", raw);
}

/** Sends profile `n` to `/ingest?format=pprof` like the Node SDK does. */
export async function sendIngest(url: string, n: number, size = 0): Promise<Sent> {
  const raw = profileBytes(n, size);
  const name = encodeURIComponent(`reliability.cpu{n=${n}}`);
  return await post(
    `${url}/ingest?name=${name}&format=pprof&from=1&until=2&spyName=nodespy`,
    raw,
    "application/octet-stream",
    raw,
  );
}

async function post(
  url: string,
  body: Uint8Array,
  contentType: string,
  payload: Uint8Array,
): Promise<Sent> {
  const digest = await hash(payload);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": contentType },
      body: body as BodyInit,
    });
    await response.body?.cancel();
    return {
      status: response.status,
      hash: digest,
      retryAfter: response.headers.get("retry-after"),
    };
  } catch {
    return { status: 0, hash: digest, retryAfter: null };
  }
}

/** Hashes of every profile the sinks accepted (push raw profiles and ingest bodies). */
export async function arrivedHashes(...sinks: Sink[]): Promise<string[]> {
  const out: string[] = [];
  for (const sink of sinks) {
    for (const p of sink.pushes) out.push(await hash(p.rawProfile));
    for (const i of sink.ingests) out.push(await hash(i.body));
  }
  return out;
}

/** Counts of each hash; a value above 1 is a duplicate. */
export function tally(hashes: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of hashes) counts.set(h, (counts.get(h) ?? 0) + 1);
  return counts;
}

/** Resident set size of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

/** Sum of a metric's series whose labels include every `labels` pair. */
export async function metric(
  admin: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

/** Prints one scenario's figures in a fixed format (collected into RELIABILITY.md). */
export function report(scenario: string, figures: Record<string, number | string>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`RELIABILITY ${scenario}: ${parts}`);
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
