/**
 * Structured logger writing logfmt or JSON lines to stderr. Components get a child logger
 * that carries `component_id=<id>`. Never log per profile above `debug`. Every record passes the
 * redaction rule (`core/redact.ts`) before observers and the output see it, so a URL with a
 * token, a secret-named field or a configured secret echoed by an error is never written.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * const logger = new Logger({ level: "info", format: "logfmt", write: (l) => lines.push(l) });
 * logger.child({ component_id: "pyroscope.write/a" }).warn("endpoint down", { url: "http://x" });
 * lines[0]!.includes('component_id=pyroscope.write/a'); // true
 * ```
 * @module
 */

import { redactText, redactValue } from "../redact.ts";

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Output formats. */
export type LogFormat = "logfmt" | "json";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Extra key/value fields of a log line. */
export type LogFields = Record<string, unknown>;

/** Options of a root logger. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go (without trailing newline). Default: stderr. */
  write?: (line: string) => void;
}

/** Sees every record written (e.g. the admin console keeps each component's last errors). */
export type LogObserver = (level: LogLevel, record: Readonly<LogFields>) => void;

const encoder = new TextEncoder();
function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

function logfmtValue(value: unknown): string {
  let text: string;
  if (value instanceof Error) text = value.message;
  else if (typeof value === "string") text = value;
  else if (value === undefined) text = "";
  else text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** A structured logger; cheap to create children of. */
export class Logger {
  #options: Required<LoggerOptions> & { observers?: Set<LogObserver> };
  readonly #context: LogFields;

  constructor(options: LoggerOptions = {}, context: LogFields = {}) {
    this.#options = {
      level: options.level ?? "info",
      format: options.format ?? "logfmt",
      write: options.write ?? writeStderr,
    };
    this.#context = context;
  }

  /** A logger that adds `fields` to every line and shares this logger's options. */
  child(fields: LogFields): Logger {
    const child = new Logger(this.#options, { ...this.#context, ...fields });
    child.#options = this.#options;
    return child;
  }

  /** Changes level and format in place (shared with every child), e.g. on reload. */
  configure(options: { level?: LogLevel; format?: LogFormat }): void {
    if (options.level) this.#options.level = options.level;
    if (options.format) this.#options.format = options.format;
  }

  /**
   * Calls `observer` with every record written by this logger, its parent and every child
   * (they share options). Returns a function that stops observing.
   */
  observe(observer: LogObserver): () => void {
    const observers = this.#options.observers ??= new Set();
    observers.add(observer);
    return () => void observers.delete(observer);
  }

  /** Whether a line at `level` would be written; guard expensive debug fields with it. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#options.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }

  #log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const record = {
      ts: new Date().toISOString(),
      level,
      msg: redactText(msg),
      ...redactValue({ ...this.#context, ...fields }) as LogFields,
    };
    if (this.#options.observers) {
      for (const observer of this.#options.observers) observer(level, record);
    }
    if (this.#options.format === "json") {
      this.#options.write(JSON.stringify(record, (_k, v) => v instanceof Error ? v.message : v));
      return;
    }
    const parts: string[] = [];
    for (const [key, value] of Object.entries(record)) parts.push(`${key}=${logfmtValue(value)}`);
    this.#options.write(parts.join(" "));
  }
}

/** A logger that writes nothing; for tests. */
export function silentLogger(): Logger {
  return new Logger({ level: "error", write: () => {} });
}
