/**
 * The Go interop peers of tests/interop/gopeers (pyroscope-go, godeltaprof, connect-go,
 * google/pprof's `profile` package): builds them once per test process through its
 * `build.sh` (cached by a hash of its inputs; `.ci/run` builds them ahead), runs one-shot
 * subcommands and starts servers that print `listening on 127.0.0.1:PORT`.
 *
 * @module
 */

import { skipUnlessPeer } from "./peers.ts";

const GOPEERS_DIR = new URL("../interop/gopeers/", import.meta.url).pathname;

/** `ignore` for tests that need the Go peers: Go and protoc (code generation). */
export function skipUnlessGoPeers(reason: string): boolean {
  return skipUnlessPeer("go", reason) || skipUnlessPeer("protoc", `generates ${reason}`);
}

let built: Promise<string> | undefined;

/** Builds (or finds cached) `gopeers`; returns the binary's path. */
export function goPeersBinary(): Promise<string> {
  built ??= (async () => {
    const out = await new Deno.Command("bash", {
      args: [`${GOPEERS_DIR}build.sh`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    if (!out.success) {
      throw new Error(`tests/interop/gopeers/build.sh failed:\n${text.decode(out.stderr)}`);
    }
    return text.decode(out.stdout).trim().split("\n").at(-1)!;
  })();
  return built;
}

/** Runs `gopeers <args>` to completion; throws with stderr unless it succeeds. */
export async function runGoPeer(
  args: string[],
  options: { stdin?: Uint8Array | string; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = new Deno.Command(await goPeersBinary(), {
    args,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  const result = { stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  if (!out.success) {
    throw new Error(`gopeers ${args.join(" ")} failed (${out.code}):\n${result.stderr}`);
  }
  return result;
}

/** Parses JSON lines. */
export function jsonLines<T>(text: string): T[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** A running Go server peer; its stdout lines after the "listening" one are kept. */
export interface GoServer {
  address: string;
  url: string;
  /** Stdout lines printed after the address (JSON lines for connect-server). */
  lines: string[];
  stop(): Promise<void>;
}

/** Starts `gopeers <args>` as a server; it exits when its stdin closes (on `stop`). */
export async function startGoServer(args: string[]): Promise<GoServer> {
  const child = new Deno.Command(await goPeersBinary(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let pending = "";
  let resolveAddress: (address: string | undefined) => void;
  const addressFound = new Promise<string | undefined>((r) => resolveAddress = r);
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop()!;
        for (const line of parts) {
          const match = /^listening on (127\.0\.0\.1:\d+)$/.exec(line);
          if (match) resolveAddress(match[1]);
          else lines.push(line);
        }
      },
      close() {
        resolveAddress(undefined);
      },
    }),
  );
  const stop = async () => {
    try {
      await child.stdin.close();
    } catch {
      // Already closed.
    }
    await child.status;
    await reading.catch(() => {});
  };
  const address = await addressFound;
  if (!address) {
    await stop();
    throw new Error(`gopeers ${args.join(" ")} did not report its address`);
  }
  return { address, url: `http://${address}`, lines, stop };
}
