/**
 * File naming and index lines of the `file` exporter: pure functions, so the on-disk layout
 * is documented and tested in one place.
 *
 * ```
 * <directory>/index.jsonl                    active index, one JSON line per profile
 * <directory>/index-<n>.jsonl                rotated index segments (n grows)
 * <directory>/<yyyy-mm-dd>/<ms>-<seq>.pb.gz  push samples (gzip pprof)
 * <directory>/<yyyy-mm-dd>/<ms>-<seq>.<ext>  ingest bodies, stored as received
 * ```
 *
 * @module
 */

import type { IngestItem } from "../../core/items.ts";
import type { LabelSet } from "../../core/labels.ts";
import { isGzip } from "../../pprof/sniff.ts";

/** Name of the active index file. */
export const ACTIVE_INDEX = "index.jsonl";
/** Rotated index segments: `index-<n>.jsonl`. */
export const SEGMENT_PATTERN = /^index-(\d+)\.jsonl$/;
/** Date folders holding profile files. */
export const DATE_DIR_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** Profile files this exporter writes (only these are ever deleted). */
export const PROFILE_FILE_PATTERN = /^\d+-\d+\.[a-z.]+$/;

/** `yyyy-mm-dd` of `ms` in UTC. */
export function dateDir(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `<ms>-<seq>` with the sequence zero-padded so names sort in write order. */
export function baseName(ms: number, seq: number): string {
  return `${ms}-${String(seq).padStart(6, "0")}`;
}

/**
 * File extension of an ingest body, from the `format` parameter or the content type in the
 * order the server picks a parser (spec §6.3), so a reader knows how to open it.
 */
export function ingestExtension(item: IngestItem): string {
  const format = item.query.find(([k]) => k === "format")?.[1];
  const type = item.contentType.join(";").toLowerCase();
  const multipart = type.includes("multipart/form-data");
  if (format === "trie" || type.includes("binary/octet-stream+trie")) return "trie";
  if (format === "tree" || type.includes("binary/octet-stream+tree")) return "tree";
  if (format === "lines") return "lines.txt";
  if (format === "jfr") return multipart ? "jfr.multipart" : isGzip(item.body) ? "jfr.gz" : "jfr";
  if (format === "pprof") return isGzip(item.body) ? "pb.gz" : "pb";
  if (format === "speedscope") return "speedscope.json";
  if (multipart) return "multipart";
  return "folded.txt";
}

/**
 * The labels written to the index, as `pyroscope.write` sends them: private `__*` labels
 * (`__address__`, `__meta_*`, `__tmp_*`, …) are dropped, except `__name__`, `__delta__` on push
 * items and `__session_id__` on ingest items.
 */
export function exportedLabels(labels: LabelSet, kind: "push" | "ingest"): LabelSet {
  const keep = kind === "push" ? "__delta__" : "__session_id__";
  return labels.filter((name) => !name.startsWith("__") || name === "__name__" || name === keep);
}

/**
 * The normalized legacy name `<__name__>{k1=v1,k2=v2}` (keys sorted, every label but
 * `__name__`), as `pyroscope.write` rebuilds it for `/ingest` (spec §4.3).
 */
export function ingestName(labels: LabelSet): string {
  // LabelSet names are already sorted in byte order, as Go sorts the keys.
  const pairs: string[] = [];
  const names = labels.names;
  const values = labels.values;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== "__name__") pairs.push(`${names[i]}=${values[i]}`);
  }
  return `${labels.get("__name__") ?? ""}{${pairs.join(",")}}`;
}

/** One index line for a push sample. */
export function pushIndexLine(
  ts: number,
  labels: LabelSet,
  file: string,
  bytes: number,
  id: string | undefined,
): string {
  const record: Record<string, unknown> = {
    ts: new Date(ts).toISOString(),
    kind: "push",
    labels: exportedLabels(labels, "push").toRecord(),
    file,
    bytes,
  };
  if (id) record.id = id;
  return JSON.stringify(record) + "\n";
}

/** One index line for an ingest item. */
export function ingestIndexLine(ts: number, item: IngestItem, file: string): string {
  return JSON.stringify({
    ts: new Date(ts).toISOString(),
    kind: "ingest",
    labels: exportedLabels(item.labels, "ingest").toRecord(),
    name: ingestName(exportedLabels(item.labels, "ingest")),
    file,
    bytes: item.body.byteLength,
    content_type: item.contentType,
    query: item.query,
  }) + "\n";
}
