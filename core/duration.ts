/**
 * Go-syntax durations (`500ms`, `1m30s`, `2h`), parsed to milliseconds. Config fields use
 * `durationField()` from `core/config/fields.ts`.
 *
 * @example
 * ```ts
 * import { formatDuration, parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90000
 * parseDuration("500ms"); // 500
 * formatDuration(90000); // "1m30s"
 * ```
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration string into milliseconds (fractions allowed, e.g. `1.5s`).
 * Throws `Cannot parse "15x" as a duration` on anything else; a bare number other than 0 is
 * `Cannot parse "15" as a duration: missing unit (e.g. 15s)`, as in Go. `"0"` is zero.
 */
export function parseDuration(text: string): number {
  const fail = () => new Error(`Cannot parse ${JSON.stringify(text)} as a duration`);
  let rest = text.trim();
  if (rest === "") throw fail();
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) {
    throw new Error(`${fail().message}: missing unit (e.g. ${text.trim()}s)`);
  }
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  if (rest === "") throw fail();
  while (rest !== "") {
    const match = part.exec(rest);
    if (!match) throw fail();
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a `time.Duration` (`1m30s`, `500ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1) return `${sign}${+(rest * 1000).toFixed(3)}µs`;
  if (rest < 1000) return `${sign}${+rest.toFixed(6)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = +(rest / 1000).toFixed(9);
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return out + `${seconds}s`;
}
