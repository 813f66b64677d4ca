/**
 * "Warn once, then at most once a minute with a count": the one rule every recurring problem
 * follows (dropped profiles, a failing endpoint, a down scrape target, a processor that
 * throws), so a problem is loud when it starts and stays visible while it lasts without a line
 * per profile or per retry.
 *
 * The first occurrence of a key is written at once; later ones are counted and written when
 * the next occurrence comes at least `intervalMs` after the previous line, carrying how many
 * happened since that line and in total. The interval defaults to one minute; the
 * `PROFCOL_LOG_REPEAT_INTERVAL` environment variable (a duration, e.g. `500ms`) overrides it —
 * it exists for tests and is not a user setting.
 *
 * @example
 * ```ts
 * import { LogRepeater } from "./log_repeat.ts";
 * import { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * let now = 0;
 * const log = new LogRepeater(new Logger({ write: (l) => lines.push(l) }), {
 *   intervalMs: 60_000,
 *   now: () => now,
 * });
 * log.warn("drop:x", "dropped profiles", { reason: "x" }, 2, "profiles"); // written
 * now = 1_000;
 * log.warn("drop:x", "dropped profiles", { reason: "x" }, 3, "profiles"); // counted
 * now = 61_000;
 * log.warn("drop:x", "dropped profiles", { reason: "x" }, 1, "profiles"); // profiles=4 profiles_total=6
 * lines.length; // 2
 * ```
 * @module
 */

import { parseDuration } from "../duration.ts";
import type { LogFields, Logger } from "./logger.ts";

/** The default repeat interval: one minute. */
export const DEFAULT_REPEAT_INTERVAL_MS = 60_000;

/** Test-only override of the interval (a duration such as `500ms`). */
export const REPEAT_INTERVAL_ENV = "PROFCOL_LOG_REPEAT_INTERVAL";

let cachedDefault: number | undefined;

/** The interval repeated problems are logged at: one minute, or the test override. */
export function repeatIntervalMs(): number {
  if (cachedDefault !== undefined) return cachedDefault;
  let value = DEFAULT_REPEAT_INTERVAL_MS;
  try {
    const text = Deno.env.get(REPEAT_INTERVAL_ENV);
    if (text) {
      const parsed = parseDuration(text);
      if (parsed > 0) value = parsed;
    }
  } catch {
    // No env permission or an unparsable value: the default.
  }
  return cachedDefault = value;
}

/** Options of a {@linkcode LogRepeater}. */
export interface LogRepeaterOptions {
  /** Minimum time between two lines of one key; default {@linkcode repeatIntervalMs}. */
  readonly intervalMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** What {@linkcode LogRepeater.hit} reports when a line is due. */
export interface RepeatCounts {
  /** Occurrences since the previous line of this key (this one included). */
  readonly count: number;
  /** Occurrences since the key was first seen (or reset). */
  readonly total: number;
  /** True for the first line of the key. */
  readonly first: boolean;
  /** Milliseconds since the key was first seen (or reset). */
  readonly sinceFirstMs: number;
}

interface KeyState {
  firstAt: number;
  lastLineAt: number;
  pending: number;
  total: number;
}

/** See the module doc. */
export class LogRepeater {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, KeyState>();

  constructor(logger: Logger, options: LogRepeaterOptions = {}) {
    this.#logger = logger;
    this.#intervalMs = options.intervalMs ?? repeatIntervalMs();
    this.#now = options.now ?? Date.now;
  }

  /** The interval in use. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /**
   * Counts `count` occurrences of `key`; returns the counts when a line is due (the first
   * occurrence, or the first one at least an interval after the previous line), else
   * `undefined`. The caller writes the line.
   */
  hit(key: string, count = 1): RepeatCounts | undefined {
    const now = this.#now();
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { firstAt: now, lastLineAt: now, pending: 0, total: count };
      this.#keys.set(key, state);
      return { count, total: count, first: true, sinceFirstMs: 0 };
    }
    state.pending += count;
    state.total += count;
    if (now - state.lastLineAt < this.#intervalMs) return undefined;
    const due = {
      count: state.pending,
      total: state.total,
      first: false,
      sinceFirstMs: now - state.firstAt,
    };
    state.pending = 0;
    state.lastLineAt = now;
    return due;
  }

  /**
   * Counts `count` occurrences of `key` and, when due, writes `msg` at warn with `fields` plus
   * `<unit>` (since the previous line) and `<unit>_total`. Returns whether it wrote.
   */
  warn(
    key: string,
    msg: string,
    fields: LogFields | (() => LogFields),
    count = 1,
    unit = "count",
  ): boolean {
    const due = this.hit(key, count);
    if (due === undefined) return false;
    const extra = typeof fields === "function" ? fields() : fields;
    this.#logger.warn(msg, { ...extra, [unit]: due.count, [`${unit}_total`]: due.total });
    return true;
  }

  /** Forgets `key` (the problem ended); returns what was counted since its last line. */
  reset(key: string): { pending: number; total: number; sinceFirstMs: number } | undefined {
    const state = this.#keys.get(key);
    if (state === undefined) return undefined;
    this.#keys.delete(key);
    return {
      pending: state.pending,
      total: state.total,
      sinceFirstMs: this.#now() - state.firstAt,
    };
  }

  /** Whether `key` is being counted (seen and not reset). */
  has(key: string): boolean {
    return this.#keys.has(key);
  }
}
