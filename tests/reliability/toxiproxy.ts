/**
 * Real network faults for the reliability scenarios: a toxiproxy server (Shopify/toxiproxy v2,
 * pinned in tests/reliability/toxiproxy/go.mod and built by its build.sh) driven over its HTTP
 * API on 127.0.0.1, and real Go scrape targets (tests/support/go_pprof_target).
 *
 * A proxy listens on 127.0.0.1 and forwards each TCP connection to its upstream through a chain
 * of toxics per direction (`upstream`: client → server, `downstream`: server → client). Toxics
 * added or removed apply to the connections already open, so a fault can land mid-request.
 *
 * @module
 */

import { join } from "node:path";

const TOXIPROXY_DIR = new URL("./toxiproxy/", import.meta.url).pathname;
const GO_TARGET_DIR = new URL("../support/go_pprof_target/", import.meta.url).pathname;

/** A toxic of toxiproxy v2 (see its README): `attributes` depend on `type`. */
export interface Toxic {
  name: string;
  type: "latency" | "bandwidth" | "slow_close" | "timeout" | "reset_peer" | "slicer" | "limit_data";
  stream?: "upstream" | "downstream";
  toxicity?: number;
  attributes: Record<string, number>;
}

/** One proxy: `address` is where clients connect instead of the upstream. */
export interface Proxy {
  name: string;
  address: string;
  url: string;
  add(toxic: Toxic): Promise<void>;
  remove(name: string): Promise<void>;
  /** Disabled: the listener closes and every open connection is cut. */
  setEnabled(enabled: boolean): Promise<void>;
}

/** A running toxiproxy server. */
export interface Toxiproxy {
  api: string;
  proxy(name: string, upstream: string): Promise<Proxy>;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;

/** Builds (or finds cached) the toxiproxy server; returns the binary's path. */
export function toxiproxyBinary(): Promise<string> {
  built ??= (async () => {
    const out = await new Deno.Command("bash", {
      args: [`${TOXIPROXY_DIR}build.sh`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    if (!out.success) {
      throw new Error(`tests/reliability/toxiproxy/build.sh failed:\n${text.decode(out.stderr)}`);
    }
    return text.decode(out.stdout).trim().split("\n").at(-1)!;
  })();
  return built;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text}`);
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text; // e.g. GET /version is plain text
  }
}

/** Starts a toxiproxy server on a free 127.0.0.1 port and waits for its API. */
export async function startToxiproxy(): Promise<Toxiproxy> {
  const binary = await toxiproxyBinary();
  const port = freePort();
  const child = new Deno.Command(binary, {
    args: ["-host", "127.0.0.1", "-port", String(port), "-seed", "20"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (true) {
    try {
      await api(base, "GET", "/version");
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`toxiproxy did not start: ${error}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    api: base,
    async proxy(name, upstream) {
      const created = await api(base, "POST", "/proxies", {
        name,
        listen: "127.0.0.1:0",
        upstream,
        enabled: true,
      }) as { listen: string };
      const address = created.listen;
      return {
        name,
        address,
        url: `http://${address}`,
        add: async (toxic) => {
          await api(base, "POST", `/proxies/${name}/toxics`, {
            stream: "downstream",
            toxicity: 1,
            ...toxic,
          });
        },
        remove: async (toxic) => {
          await api(base, "DELETE", `/proxies/${name}/toxics/${toxic}`);
        },
        setEnabled: async (enabled) => {
          // Re-enabling must bind the same address, so it is given explicitly.
          await api(base, "POST", `/proxies/${name}`, { enabled, listen: address, upstream });
        },
      };
    },
    async close() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
    },
  };
}

let goTarget: Promise<string> | undefined;

/** Builds tests/support/go_pprof_target once per test process; returns the binary's path. */
function goTargetBinary(): Promise<string> {
  goTarget ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "profcol-go-target-" });
    const binary = join(dir, "go_pprof_target");
    const env: Record<string, string> = {
      CGO_ENABLED: "0",
      PATH: `/usr/local/go/bin:${Deno.env.get("PATH") ?? ""}`,
    };
    if (!Deno.env.get("HOME")) env.HOME = dir;
    const out = await new Deno.Command("go", {
      args: ["build", "-o", binary, "."],
      cwd: GO_TARGET_DIR,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`go build go_pprof_target failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return binary;
  })();
  return goTarget;
}

/** A running Go net/http/pprof target. */
export interface GoTarget {
  address: string;
  stop(): Promise<void>;
}

/** Starts a real Go pprof server (it exits when its stdin closes). */
export async function startGoTarget(): Promise<GoTarget> {
  const child = new Deno.Command(await goTargetBinary(), {
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const stop = async () => {
    try {
      await child.stdin.close();
    } catch {
      // Already closed.
    }
    await reader.cancel().catch(() => {});
    await child.status;
  };
  const address = /listening on (127\.0\.0\.1:\d+)/.exec(text)?.[1];
  if (!address) {
    await stop();
    throw new Error(`the Go target did not report its address: ${text}`);
  }
  return { address, stop };
}
