/**
 * Shared bench machinery: child processes that announce their port as a JSON line, the
 * collector started from a config, CPU time and RSS from /proc, and the load generator.
 *
 * @module
 */

export const ROOT = new URL("../", import.meta.url).pathname;

/** A child process that printed a JSON line on stdout. */
export interface Child<T> {
  proc: Deno.ChildProcess;
  info: T;
  stop(): Promise<void>;
}

/** Spawns `deno run -A <script> …args` and waits for its first stdout line (JSON). */
export function spawnJson<T>(script: string, args: string[] = []): Promise<Child<T>> {
  return spawnCommandJson(Deno.execPath(), ["run", "-A", `${ROOT}${script}`, ...args], script);
}

/**
 * Spawns `command …args` (a helper process: a sink, a relay, the Go fleet) and waits for the
 * first line it prints, JSON describing it (its ports); the rest of its stdout is drained.
 */
export async function spawnCommandJson<T>(
  command: string,
  args: string[],
  what: string,
): Promise<Child<T>> {
  const proc = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${what} exited before printing its port`);
    text += value;
  }
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return {
    proc,
    info: JSON.parse(text.slice(0, text.indexOf("\n"))) as T,
    stop: async () => {
      try {
        proc.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await proc.status;
    },
  };
}

/** A collector process started with `config`; resolves once `/-/ready` answers 200. */
export interface Collector {
  proc: Deno.ChildProcess;
  pid: number;
  admin: string;
  receiver: string | undefined;
  readyMs: number;
  /** Log lines so far whose `msg` is `message` (e.g. "scrape target down"). */
  logged(message: string): number;
  stop(): Promise<void>;
}

export async function startCollector(config: string): Promise<Collector> {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-bench-" });
  const path = `${dir}/config.yaml`;
  Deno.writeTextFileSync(path, config.replaceAll("${DIR}", dir));
  const launched = performance.now();
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "run", "--config", path],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let admin: string | undefined;
  let receiver: string | undefined;
  const needReceiver = config.includes("pyroscope.receive_http");
  while (!admin || (needReceiver && !receiver)) {
    const { value, done } = await reader.read();
    if (done) {
      Deno.removeSync(dir, { recursive: true });
      throw new Error(`collector exited:\n${log}`);
    }
    log += value;
    admin ??= /admin server listening"? address=(http:\/\/[\d.]+:\d+)/.exec(log)?.[1];
    receiver ??= /receiving profiles.*url=(http:\/\/[\d.]+:\d+)/.exec(log)?.[1];
  }
  // Keep reading the log (a full pipe would block the collector), counting messages.
  const counts = new Map<string, number>();
  const count = (text: string) => {
    for (const m of text.matchAll(/msg="([^"]*)"/g)) {
      counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    }
  };
  count(log);
  let partial = "";
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = partial + value;
      const end = text.lastIndexOf("\n");
      count(text.slice(0, end + 1));
      partial = text.slice(end + 1);
    }
  })().catch(() => {});
  let readyMs = 0;
  while (true) {
    const response = await fetch(`${admin}/-/ready`).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.status === 200) {
      readyMs = performance.now() - launched;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    proc,
    pid: proc.pid,
    admin,
    receiver,
    readyMs,
    logged: (message) => counts.get(message) ?? 0,
    stop: async () => {
      try {
        proc.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await proc.status;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds of `pid` and all its descendants (e.g. nginx's master and workers). */
export function treeCpuSeconds(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      total += cpuSeconds(p);
      for (const task of Deno.readDirSync(`/proc/${p}/task`)) {
        const children = Deno.readTextFileSync(`/proc/${p}/task/${task.name}/children`).trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // Exited meanwhile.
    }
  }
  return total;
}

/** Resident set size in MiB, from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024;
}

/** Result of one load generator run. */
export interface LoadResult {
  ok: number;
  per_s: number;
  elapsed_s: number;
  statuses: Record<string, number>;
  p50_ms: number;
  p99_ms: number;
}

let wrkAvailable: boolean | undefined;
/** Whether `wrk` (Debian's) is installed: a native load generator leaves more CPU to measure. */
export function hasWrk(): boolean {
  if (wrkAvailable === undefined) {
    try {
      wrkAvailable =
        new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
          .outputSync().code !== 127;
    } catch {
      wrkAvailable = false;
    }
  }
  return wrkAvailable;
}

/** Closed-loop load with `wrk` (one thread, `concurrency` connections) POSTing `bodyFile`. */
async function wrkLoad(
  url: string,
  bodyFile: string,
  seconds: number,
  concurrency: number,
  contentType: string,
): Promise<LoadResult> {
  const script = Deno.makeTempFileSync({ suffix: ".lua" });
  Deno.writeTextFileSync(
    script,
    `wrk.method = "POST"
wrk.headers["Content-Type"] = "${contentType}"
local f = io.open("${bodyFile}", "rb")
wrk.body = f:read("*all")
f:close()
`,
  );
  try {
    const out = await new Deno.Command("wrk", {
      args: ["-t1", `-c${concurrency}`, `-d${seconds}s`, "--latency", "-s", script, url],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const total = Number(/(\d+) requests in ([\d.]+)s/.exec(text)?.[1] ?? "0");
    const elapsed = Number(/requests in ([\d.]+)s/.exec(text)?.[1] ?? String(seconds));
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? "0");
    const ms = (label: string) => {
      const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
      if (!m) return 0;
      const v = Number(m[1]);
      return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
    };
    const ok = total - non2xx;
    return {
      ok,
      per_s: ok / elapsed,
      elapsed_s: elapsed,
      statuses: { "200": ok, other: non2xx },
      p50_ms: ms("50"),
      p99_ms: ms("99"),
    };
  } finally {
    Deno.removeSync(script);
  }
}

/** Runs the load generator as its own process (`wrk` when installed, for closed loops). */
export async function load(options: {
  url: string;
  bodyFile: string;
  seconds: number;
  concurrency?: number;
  rate?: number;
  contentType?: string;
}): Promise<LoadResult> {
  if (!options.rate && hasWrk()) {
    return await wrkLoad(
      options.url,
      options.bodyFile,
      options.seconds,
      options.concurrency ?? 32,
      options.contentType ?? "application/proto",
    );
  }
  const args = [
    "run",
    "-A",
    `${ROOT}bench/load/loadgen.ts`,
    "--url",
    options.url,
    "--body",
    options.bodyFile,
    "--seconds",
    String(options.seconds),
    "--content-type",
    options.contentType ?? "application/proto",
  ];
  if (options.rate) args.push("--rate", String(options.rate));
  else args.push("--concurrency", String(options.concurrency ?? 32));
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" })
    .output();
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

/** Sink counters. */
export async function sinkStats(port: number): Promise<{ requests: number; series: number }> {
  return await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
