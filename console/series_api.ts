/**
 * The console's profile API over the ring (`profile_store.ts`): the series list filtered by
 * receiver and labels, a flame graph merging the profiles of a series over a time range, and a
 * diff between two ranges. Every answer is JSON; bad query parameters get a 400 naming the
 * parameter and quoting its value.
 *
 * - `GET /api/v1/profiles?receiver=<id>&match=<key>=<value>` (both optional, `match`
 *   repeatable or comma-separated): every kept series, newest first.
 * - `GET /api/v1/profiles/<id>/flame?from=&to=&sample_type=`: the series' profiles kept in
 *   `[from, to]` merged by stack (`index=<n>` picks one kept profile instead).
 * - `GET /api/v1/profiles/<id>/diff?base_from=&base_to=&from=&to=&sample_type=`: baseline
 *   `[base_from, base_to]` against comparison `[from, to]`; without them, the older half of
 *   the kept span against the newer half.
 *
 * Times are milliseconds since the epoch, RFC 3339, `now` or `now-<duration>` (`now-15m`).
 * Work per request is bounded: at most {@linkcode MAX_MERGED_PROFILES} profiles (the newest
 * of the range) are decoded per range, one at a time; the answer says how many were in range.
 * Labels are shown, and matched, as {@linkcode shownLabels} redacts them.
 *
 * @module
 */

import { redactLabels } from "../core/redact.ts";
import { parseDuration } from "../core/duration.ts";
import { diffFlame, type FlameTree, mergeFlame } from "./flame_tree.ts";
import type { ProfileStore, SeriesInfo, StoredProfile } from "./profile_store.ts";

/** Profiles decoded per range and request at most (the newest of the range are taken). */
export const MAX_MERGED_PROFILES = 64;

/**
 * A label set as the console shows it, through the one redaction rule (`core/redact.ts`): values of
 * secret-named keys, secret `__param_*` labels and configured secrets become `<secret>`.
 */
export function shownLabels(
  labels: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  return redactLabels(labels);
}

/** A bad query parameter: answered with 400 and this message. */
export class QueryError extends Error {}

/** What `/api/v1/profiles` filters on. */
export interface SeriesFilter {
  readonly receiver?: string;
  readonly match: readonly (readonly [key: string, value: string])[];
}

/** The filter of a request's `receiver` and `match` parameters. */
export function seriesFilter(params: URLSearchParams): SeriesFilter {
  const receiver = params.get("receiver")?.trim() || undefined;
  const match: [string, string][] = [];
  for (const raw of params.getAll("match")) {
    for (const part of raw.split(",")) {
      const text = part.trim();
      if (text === "") continue;
      const eq = text.indexOf("=");
      if (eq <= 0) {
        throw new QueryError(
          `match must be <label>=<value> (e.g. service_name=api), got ${JSON.stringify(text)}`,
        );
      }
      match.push([text.slice(0, eq).trim(), text.slice(eq + 1).trim()]);
    }
  }
  return receiver === undefined ? { match } : { receiver, match };
}

/** The kept series passing `filter`, labels redacted, newest first. */
export function listSeries(store: ProfileStore, filter: SeriesFilter): SeriesInfo[] {
  return store.list()
    .map((s) => ({ ...s, labels: shownLabels(s.labels) }))
    .filter((s) =>
      (filter.receiver === undefined || s.component_id === filter.receiver) &&
      filter.match.every(([k, v]) => s.labels[k] === v)
    )
    .sort((a, b) => a.last < b.last ? 1 : a.last > b.last ? -1 : a.id < b.id ? -1 : 1);
}

/** A time parameter (see the module doc) in ms since the epoch, or `fallback` when absent. */
export function parseTime(name: string, raw: string | null, fallback: number, now: number) {
  if (raw === null || raw.trim() === "") return fallback;
  const text = raw.trim();
  const fail = () =>
    new QueryError(
      `${name} must be milliseconds since the epoch, an RFC 3339 time, now or now-<duration> ` +
        `(e.g. now-15m), got ${JSON.stringify(raw)}`,
    );
  if (/^\d+$/.test(text)) return Number(text);
  if (text === "now") return now;
  if (text.startsWith("now-")) {
    try {
      return now - parseDuration(text.slice(4));
    } catch {
      throw fail();
    }
  }
  // RFC 3339 only: a date and a time with a zone (Date.parse alone takes far more).
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(text)) throw fail();
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw fail();
  return ms;
}

/** A range of a series and what of it was merged. */
export interface RangeInfo {
  readonly from: number;
  readonly to: number;
  /** Profiles kept in the range. */
  readonly in_range: number;
  /** Profiles merged: the newest `limit` of those in range. */
  readonly merged: number;
  readonly limit: number;
}

/** The profiles of `profiles` (oldest first) within `[from, to]`, the newest `limit` of them. */
function inRange(profiles: readonly StoredProfile[], from: number, to: number) {
  const all = profiles.filter((p) => p.at >= from && p.at <= to);
  const picked = all.slice(Math.max(0, all.length - MAX_MERGED_PROFILES));
  const range: RangeInfo = {
    from,
    to,
    in_range: all.length,
    merged: picked.length,
    limit: MAX_MERGED_PROFILES,
  };
  return { bytes: picked.map((p) => p.bytes), range };
}

function sampleType(params: URLSearchParams): number {
  const raw = params.get("sample_type");
  if (raw === null || raw === "" || raw === "-1") return -1;
  if (!/^\d+$/.test(raw)) {
    throw new QueryError(`sample_type must be an index (0, 1, …), got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function checkOrder(fromName: string, from: number, toName: string, to: number): void {
  if (from > to) {
    throw new QueryError(
      `${fromName} (${new Date(from).toISOString()}) is after ${toName} (${
        new Date(to).toISOString()
      })`,
    );
  }
}

/** `/api/v1/profiles/<id>/flame` over a range: the merged tree and its range. */
export function mergedFlame(
  profiles: readonly StoredProfile[],
  params: URLSearchParams,
  now = Date.now(),
): FlameTree & { range: RangeInfo } {
  const from = parseTime("from", params.get("from"), 0, now);
  const to = parseTime("to", params.get("to"), now, now);
  checkOrder("from", from, "to", to);
  const { bytes, range } = inRange(profiles, from, to);
  return { ...mergeFlame(bytes, { sampleType: sampleType(params) }), range };
}

/** `/api/v1/profiles/<id>/diff`: baseline against comparison, each with its range. */
export function diffOfRanges(
  profiles: readonly StoredProfile[],
  params: URLSearchParams,
  now = Date.now(),
) {
  const first = profiles[0]?.at ?? now, last = profiles[profiles.length - 1]?.at ?? now;
  // Without ranges: the older half of what is kept against the newer half.
  const middle = Math.floor((first + last) / 2);
  const baseFrom = parseTime("base_from", params.get("base_from"), first, now);
  const baseTo = parseTime("base_to", params.get("base_to"), middle, now);
  const from = parseTime("from", params.get("from"), Math.min(middle + 1, last), now);
  const to = parseTime("to", params.get("to"), last, now);
  checkOrder("base_from", baseFrom, "base_to", baseTo);
  checkOrder("from", from, "to", to);
  const base = inRange(profiles, baseFrom, baseTo);
  const comparison = inRange(profiles, from, to);
  return {
    ...diffFlame(base.bytes, comparison.bytes, { sampleType: sampleType(params) }),
    base_range: base.range,
    range: comparison.range,
  };
}
