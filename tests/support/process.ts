/**
 * Runs profcol (or the test entry with test components) as a real subprocess for CLI,
 * signal and reload tests: collects stderr, finds the admin address in the logs, sends
 * signals, and always reaps the child.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;
/**
 * A CI machine's own cgroup memory limit must not make every `run` start a second process
 * (cli/heap_limit.ts): a SIGKILL to the first would leave the second running.
 */
const NO_RELAUNCH = { PROFCOL_HEAP_FROM_CGROUP: "off" };

/** A running profcol subprocess. */
export class Profcol {
  readonly child: Deno.ChildProcess;
  #stderr = "";
  #stdout = "";
  readonly #done: Promise<Deno.CommandStatus>;
  readonly #reading: Promise<void>;

  constructor(
    args: string[],
    options: { entry?: string; env?: Record<string, string>; child?: Deno.ChildProcess } = {},
  ) {
    this.child = options.child ?? new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", options.entry ?? "tests/support/test_main.ts", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", ...NO_RELAUNCH, ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = () => new TextDecoderStream();
    this.#reading = Promise.all([
      this.child.stderr.pipeThrough(decoder()).pipeTo(
        new WritableStream({ write: (chunk) => void (this.#stderr += chunk) }),
      ),
      this.child.stdout.pipeThrough(decoder()).pipeTo(
        new WritableStream({ write: (chunk) => void (this.#stdout += chunk) }),
      ),
    ]).then(() => {});
    this.#done = this.child.status;
  }

  /** Wraps a child spawned elsewhere (stdout and stderr must be piped). */
  static attach(child: Deno.ChildProcess): Profcol {
    return new Profcol([], { child });
  }

  get stderr(): string {
    return this.#stderr;
  }
  get stdout(): string {
    return this.#stdout;
  }

  /** Waits until stderr matches `pattern` (or the process exits / `timeoutMs` passes). */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#done.then(() => exited = true);
    while (Date.now() < deadline) {
      const match = this.#stderr.match(pattern);
      if (match) return match;
      if (exited) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`timed out waiting for ${pattern}; stderr so far:\n${this.#stderr}`);
  }

  /** Waits for the admin server's log line; returns its base URL. */
  async adminUrl(): Promise<string> {
    const match = await this.waitFor(/admin server listening"? address=(http:\/\/[\d.]+:\d+)\//);
    return match[1]!;
  }

  /** Waits for exit and the end of output. */
  async exit(): Promise<Deno.CommandStatus> {
    const status = await this.#done;
    await this.#reading;
    return status;
  }

  /** Kills the process if still running, then reaps it. */
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.exit();
  }
}

/** Runs a command to completion: exit code, stdout, stderr. */
export async function runProfcol(
  args: string[],
  options: { entry?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", options.entry ?? "tests/support/test_main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...NO_RELAUNCH, ...options.env },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/** Writes `text` to a fresh temp file and returns its path. */
export function tempConfig(
  text: string,
  dir = Deno.makeTempDirSync({ prefix: "profcol-" }),
): string {
  const path = `${dir}/config.yaml`;
  Deno.writeTextFileSync(path, text);
  return path;
}
