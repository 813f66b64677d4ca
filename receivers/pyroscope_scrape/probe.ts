/**
 * `profiling_config.probe_index`: which profiles does a target serve? (grafana/pyroscope#2080).
 * The target's pprof index (`<prefix>/debug/pprof/`, as Go's net/http/pprof serves it) is read
 * once per index URL, then again every `probe_interval`, after a scrape answered 404, and for
 * a new address or prefix (a new index URL). Only the enabled types the index lists are
 * scraped; a type whose path the index cannot list (outside `/debug/pprof/`, or godeltaprof's
 * `delta_*` handlers, which Go's index never shows) is always scraped. An index that cannot be
 * read or is not an index falls back to every enabled type, with the reason in the status.
 *
 * The probe is one small GET per target every ten minutes, so it runs on the main thread with
 * a client of its own, not on the scrape threads.
 *
 * @module
 */

import type { HttpClient } from "../../core/http/client.ts";
import type { Logger } from "../../core/telemetry/logger.ts";
import { redactText } from "../../core/redact.ts";
import { httpStatusCause, rootCause } from "../../core/root_cause.ts";
import { describeBody } from "../../pprof/sniff.ts";
import { readLimited } from "./fetch_profile.ts";

/** The index's path under `__profile_path_prefix__`. */
export const INDEX_PATH = "/debug/pprof/";

/** Handlers under the index path that Go's index never lists (godeltaprof's). */
const UNLISTED = new Set(["delta_heap", "delta_block", "delta_mutex"]);

/** An index page is small (Go's is ~2 KiB); more is not an index. */
const INDEX_LIMIT = 256 * 1024;

/** At most one re-probe of an index per minute after 404 answers. */
const NOT_FOUND_REPROBE_MS = 60_000;

/**
 * The name the index would list a profile path under, or `undefined` when the index cannot
 * judge that path (then the type is always scraped).
 */
export function indexedName(path: string): string | undefined {
  if (!path.startsWith(INDEX_PATH)) return undefined;
  const name = path.slice(INDEX_PATH.length);
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || UNLISTED.has(name)) return undefined;
  return name;
}

/**
 * The profile names a Go-style pprof index lists (its `<a href='allocs?debug=1'>` links),
 * sorted; `undefined` when the page is not a pprof index: neither the `/debug/pprof/` title
 * nor a `?debug=` link.
 */
export function parsePprofIndex(html: string): string[] | undefined {
  const names = new Set<string>();
  let debugLinks = 0;
  for (const match of html.matchAll(/href\s*=\s*["']([A-Za-z0-9_.-]+)(\?[^"']*)?["']/gi)) {
    names.add(match[1]!);
    if (match[2]?.startsWith("?debug=")) debugLinks++;
  }
  const titled = /<title>[^<]*\/debug\/pprof\/?\s*<\/title>/i.test(html);
  if (names.size === 0 || (!titled && debugLinks === 0)) return undefined;
  return [...names].sort();
}

/** What one index URL serves: the listed names, or `null` with why the index was unreadable. */
export interface ProbeResult {
  readonly served: ReadonlySet<string> | null;
  readonly error: string;
}

/** Reads one index. Never throws: failures are a result with `served: null`. */
export async function probeIndex(
  client: HttpClient,
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const unreadable = (why: string): ProbeResult => ({
    served: null,
    error: `pprof index ${url} ${why}; scraping every enabled profile type`,
  });
  try {
    const response = await client.fetch(url, { timeoutMs, signal });
    if (response.status < 200 || response.status > 299) {
      const text = (await response.text().catch(() => "")).trim();
      return unreadable(`unreadable (${redactText(httpStatusCause(response.status, text))})`);
    }
    const body = await readLimited(response, INDEX_LIMIT);
    if (body === undefined) return unreadable(`is larger than ${INDEX_LIMIT} bytes`);
    const names = parsePprofIndex(new TextDecoder().decode(body));
    if (names === undefined) {
      return unreadable(`is not a pprof index (${redactText(describeBody(body))})`);
    }
    return { served: new Set(names), error: "" };
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return unreadable(`timed out after ${timeoutMs}ms`);
    }
    return unreadable(`unreadable (${redactText(rootCause(error))})`);
  }
}

/** Options of a {@linkcode ServedTypesProbe}. */
export interface ServedTypesProbeOptions {
  readonly client: HttpClient;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called when an index's result is new or changed (the receiver re-syncs its loops). */
  readonly onChange: () => void;
}

interface Entry {
  result: ProbeResult | undefined;
  probing: Promise<void> | undefined;
  lastNotFoundProbe: number;
}

/** The probed indexes of one scraper, re-read periodically and on demand. */
export class ServedTypesProbe {
  readonly #options: ServedTypesProbeOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: ServedTypesProbeOptions) {
    this.#options = options;
    this.#timer = setInterval(() => {
      for (const url of this.#entries.keys()) this.#probe(url);
    }, options.intervalMs);
  }

  /**
   * The last result for `indexUrl`; `undefined` while its first probe runs (started here):
   * `onChange` follows when it ends.
   */
  lookup(indexUrl: string): ProbeResult | undefined {
    const entry = this.#entries.get(indexUrl);
    if (entry) return entry.result;
    this.#entries.set(indexUrl, { result: undefined, probing: undefined, lastNotFoundProbe: 0 });
    this.#probe(indexUrl);
    return undefined;
  }

  /** The last result for `indexUrl`, without starting a probe (for the status). */
  peek(indexUrl: string): ProbeResult | undefined {
    return this.#entries.get(indexUrl)?.result;
  }

  /** A scrape under `indexUrl` answered 404: the target may have changed what it serves. */
  notFound(indexUrl: string): void {
    const entry = this.#entries.get(indexUrl);
    const now = Date.now();
    if (!entry || now - entry.lastNotFoundProbe < NOT_FOUND_REPROBE_MS) return;
    entry.lastNotFoundProbe = now;
    this.#probe(indexUrl);
  }

  /** Forgets every index not in `indexUrls` (targets that went away). */
  retain(indexUrls: ReadonlySet<string>): void {
    for (const url of this.#entries.keys()) {
      if (!indexUrls.has(url)) this.#entries.delete(url);
    }
  }

  /** Stops the timer and aborts the probes under way. */
  close(): void {
    clearInterval(this.#timer);
    this.#abort.abort();
  }

  #probe(url: string): void {
    const entry = this.#entries.get(url);
    if (!entry || entry.probing || this.#abort.signal.aborted) return;
    const { client, timeoutMs, logger, onChange } = this.#options;
    entry.probing = probeIndex(client, url, timeoutMs, this.#abort.signal).then((result) => {
      entry.probing = undefined;
      if (this.#abort.signal.aborted || this.#entries.get(url) !== entry) return;
      const before = entry.result;
      entry.result = result;
      if (before && sameResult(before, result)) return;
      if (result.served) {
        logger.info("pprof index probed", { url, served: [...result.served].join(",") });
      } else if (!before || before.served) {
        logger.warn("pprof index unreadable", { url, cause: result.error });
      }
      onChange();
    });
  }
}

function sameResult(a: ProbeResult, b: ProbeResult): boolean {
  if (a.served === null || b.served === null) return a.served === b.served && a.error === b.error;
  return a.served.size === b.served.size && [...a.served].every((name) => b.served!.has(name));
}
