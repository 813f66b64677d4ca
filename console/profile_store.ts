/**
 * The console's bounded ring of recent profiles: for each series (receiver id + label set) the
 * last profiles as the receiver accepted them (at most {@linkcode PROFILES_PER_SERIES}, enough
 * for an hour of a 15 s scrape, so that a time range can be merged), raw bytes shared with the pipeline when they
 * own their buffer, else copied so that the cap bounds what stays resident (never decoded
 * here). The total is capped by `service.telemetry.console.profiles_memory`: the oldest
 * profiles, of any series, go first. Decoding happens only when a
 * flame graph is asked for (`flame_tree.ts`).
 *
 * Push items are kept (scrape and Connect `Push` carry pprof); ingest items only when their
 * `format` is `pprof` and the body is not multipart.
 *
 * @module
 */

import type { Item } from "../core/items.ts";
import { LabelSet } from "../core/labels.ts";
import { ownBytes } from "../core/bytes.ts";

/** Profiles kept per series at most (the memory cap usually binds first). */
export const PROFILES_PER_SERIES = 240;

/** One kept profile. */
export interface StoredProfile {
  /** When the receiver accepted it (ms since the epoch). */
  readonly at: number;
  /** pprof, gzipped or not, exactly as received. */
  readonly bytes: Uint8Array;
}

/** A series as listed by `/api/v1/profiles`. */
export interface SeriesInfo {
  readonly id: string;
  readonly component_id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Profiles kept. */
  readonly count: number;
  /** Time of the oldest kept profile (ISO). */
  readonly first: string;
  /** Time of the newest kept profile (ISO). */
  readonly last: string;
  readonly bytes: number;
}

interface Entry extends StoredProfile {
  readonly series: Series;
  /** Neighbours in the ring's age order (`undefined` at the ends and once dropped). */
  older: Entry | undefined;
  newer: Entry | undefined;
}

interface Series {
  readonly id: string;
  readonly key: string;
  readonly componentId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly entries: Entry[];
  /** Sum of the entries' sizes. */
  bytes: number;
}

/** 32-bit FNV-1a, twice with different seeds: a short stable id for URLs. */
function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/** The map key of a series: receiver id and the label set's canonical key (cached by it). */
function seriesKey(componentId: string, labels: LabelSet): string {
  // `__param_*` values may be secrets, which published target labels carry redacted
  // (core/redact.ts): left out, a target's labels still name its kept profiles.
  return componentId + "\0" + labels.filter((name) => !name.startsWith("__param_")).key();
}

/** The series id of a receiver and label set (what `/flame/<id>` and targets use). */
export function seriesId(
  componentId: string,
  labels: LabelSet | Readonly<Record<string, string>>,
): string {
  return hash64(
    seriesKey(componentId, labels instanceof LabelSet ? labels : LabelSet.from(labels)),
  );
}

/** See the module doc. */
export class ProfileStore {
  /** By id, and by key (so the hot path neither hashes nor copies labels of a known series). */
  readonly #series = new Map<string, Series>();
  readonly #byKey = new Map<string, Series>();
  /**
   * Every kept entry in age order, as a doubly linked list: dropping one (by eviction or by
   * its series going over `perSeries`) unlinks it at once, so the ring never refers to a
   * profile it no longer counts and the cap bounds what stays resident.
   */
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #count = 0;
  #bytes = 0;

  constructor(public capacityBytes: number, readonly perSeries = PROFILES_PER_SERIES) {}

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries the ring refers to (every one of them is kept and counted in `bytes`). */
  get referenced(): number {
    return this.#count;
  }

  /** Records the profiles of an accepted request. Cheap: no decoding, at most a copy. */
  record(componentId: string, items: readonly Item[], now = Date.now()): void {
    if (this.capacityBytes <= 0) return;
    for (const item of items) {
      if (item.kind === "push") {
        for (const sample of item.samples) {
          this.#add(componentId, item.labels, sample.rawProfile, now);
        }
      } else {
        const format = item.query.find(([key]) => key === "format")?.[1];
        const multipart = item.contentType.some((t) => t.toLowerCase().startsWith("multipart/"));
        if (format === "pprof" && !multipart) {
          this.#add(componentId, item.labels, item.body, now);
        }
      }
    }
  }

  #add(componentId: string, labels: LabelSet, view: Uint8Array, at: number): void {
    if (view.byteLength > this.capacityBytes) return;
    // A view into a larger buffer (a Push body, a read chunk, zlib's output) would keep all of
    // that buffer alive: the cap would count 2 KiB while 64 KiB stay resident. Such a view is
    // copied to exactly its bytes; a profile that owns its buffer is kept as it is.
    const bytes = ownBytes(view);
    const key = seriesKey(componentId, labels);
    let series = this.#byKey.get(key);
    if (series === undefined) {
      const id = hash64(key);
      series = { id, key, componentId, labels: labels.toRecord(), entries: [], bytes: 0 };
      this.#series.set(id, series);
      this.#byKey.set(key, series);
    }
    const entry: Entry = { at, bytes, series, older: this.#newest, newer: undefined };
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
    this.#count++;
    series.entries.push(entry);
    series.bytes += bytes.byteLength;
    this.#bytes += bytes.byteLength;
    if (series.entries.length > this.perSeries) this.#drop(series.entries[0]!);
    this.#evict();
  }

  /** Unlinks `entry` from the age order and from its series. */
  #drop(entry: Entry): void {
    const { older, newer } = entry;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    entry.older = entry.newer = undefined;
    this.#count--;
    this.#bytes -= entry.bytes.byteLength;
    entry.series.bytes -= entry.bytes.byteLength;
    const entries = entry.series.entries;
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
    if (entries.length === 0) {
      this.#series.delete(entry.series.id);
      this.#byKey.delete(entry.series.key);
    }
  }

  /** Drops the oldest profiles, of any series, until the total fits the cap. */
  #evict(): void {
    while (this.#bytes > this.capacityBytes && this.#oldest !== undefined) {
      this.#drop(this.#oldest);
    }
  }

  /** Changes the cap (on reload); evicts at once when it shrank. */
  resize(capacityBytes: number): void {
    this.capacityBytes = capacityBytes;
    if (capacityBytes <= 0) {
      this.#series.clear();
      this.#byKey.clear();
      this.#oldest = this.#newest = undefined;
      this.#count = 0;
      this.#bytes = 0;
      return;
    }
    this.#evict();
  }

  /** Every series with kept profiles. */
  list(): SeriesInfo[] {
    return [...this.#series.values()].map(infoOf);
  }

  /** Whether a series has kept profiles. */
  has(id: string): boolean {
    return this.#series.has(id);
  }

  /** A series' summary, without its profiles (cheap: no copy of the entries). */
  info(id: string): SeriesInfo | undefined {
    const series = this.#series.get(id);
    return series === undefined ? undefined : infoOf(series);
  }

  /** A series and its profiles, oldest first. */
  get(id: string): { info: SeriesInfo; profiles: StoredProfile[] } | undefined {
    const series = this.#series.get(id);
    if (series === undefined) return undefined;
    return {
      info: infoOf(series),
      profiles: series.entries.map(({ at, bytes }) => ({ at, bytes })),
    };
  }
}

function infoOf(s: Series): SeriesInfo {
  return {
    id: s.id,
    component_id: s.componentId,
    labels: s.labels,
    count: s.entries.length,
    first: new Date(s.entries[0]!.at).toISOString(),
    last: new Date(s.entries[s.entries.length - 1]!.at).toISOString(),
    bytes: s.bytes,
  };
}
