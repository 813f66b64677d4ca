/**
 * Config problems with the YAML path and source line they belong to. Every message names the
 * path, OpenTelemetry-Collector style: `receivers::pyroscope.receive_http/sdk::http::listen_port:
 * Expected a port number from 0 to 65535, got "abc" (config.yaml:12)`.
 *
 * @module
 */

import { redactText } from "../redact.ts";

/** Where a config value came from. */
export interface SourceLocation {
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col?: number;
}

/** One problem found in a config. */
export interface ConfigIssue {
  /** Path inside the merged config, e.g. `["receivers", "file", "max_age"]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly severity: "error" | "warning";
  readonly location?: SourceLocation;
}

/** Joins a config path with `::`, the separator the OpenTelemetry Collector uses. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map(String).join("::");
}

/** `path: message (file:line)`; a path-less issue prints just the message. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.location ? ` (${issue.location.file}:${issue.location.line})` : "";
  const path = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : "";
  // A message may quote a value found in the config: a secret there is shown as `<secret>`.
  return redactText(`${path}${issue.message}${where}`);
}

/** Thrown when a config cannot be used; `issues` holds every error found (not only the first). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      issues.length === 1
        ? `invalid configuration: ${formatIssue(issues[0]!)}`
        : `invalid configuration (${issues.length} problems):\n${
          issues.map((issue) => `  ${formatIssue(issue)}`).join("\n")
        }`,
    );
  }
}

/** Levenshtein distance, for "did you mean" hints on misspelled keys and types. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(
        above + 1,
        previous[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The closest candidate within a small edit distance, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Small typos only: a far-fetched hint is worse than none.
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 4)));
  return bestDistance <= limit ? best : undefined;
}
