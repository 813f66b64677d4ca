/**
 * Real peers for interop tests (Go, `go tool pprof`, `protoc`, Node with `@pyroscope/nodejs`).
 * A missing peer makes the test *ignored* with the reason printed — never a silent pass —
 * unless `PROFCOL_REQUIRE_PEERS=1` (set by `.ci/run` after installing them), where a missing
 * peer is a failure.
 *
 * @module
 */

/** Whether `.ci/run` promised every peer is installed. */
export const peersRequired = Deno.env.get("PROFCOL_REQUIRE_PEERS") === "1";

const cache = new Map<string, boolean>();

/** Whether `command` runs (`command --version`-style probe with `args`). */
export function hasCommand(command: string, args: string[] = ["--version"]): boolean {
  const key = [command, ...args].join(" ");
  const known = cache.get(key);
  if (known !== undefined) return known;
  let ok = false;
  try {
    ok = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    ok = false;
  }
  cache.set(key, ok);
  return ok;
}

/**
 * `ignore` value for `Deno.test`: true (and a printed reason) when a peer is missing and peers
 * are not required; throws when they are required, so CI fails loudly.
 */
export function skipUnlessPeer(peer: "go" | "protoc" | "node", reason = ""): boolean {
  const probes: Record<typeof peer, [string, string[]]> = {
    go: ["go", ["version"]],
    protoc: ["protoc", ["--version"]],
    node: ["node", ["--version"]],
  };
  const [command, args] = probes[peer];
  if (hasCommand(command, args)) return false;
  const message = `interop peer "${peer}" is not installed${reason ? ` (${reason})` : ""}`;
  if (peersRequired) throw new Error(`${message}, but PROFCOL_REQUIRE_PEERS=1`);
  console.warn(`SKIPPED: ${message}; install it or run .ci/run`);
  return true;
}

/** Runs `go tool pprof -raw FILE` and returns its stdout; throws with stderr on failure. */
export async function goToolPprofRaw(file: string): Promise<string> {
  const output = await new Deno.Command("go", {
    args: ["tool", "pprof", "-raw", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(`go tool pprof -raw ${file} failed: ${text.decode(output.stderr)}`);
  }
  return text.decode(output.stdout);
}
