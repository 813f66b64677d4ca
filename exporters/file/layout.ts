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
import { formatIngestName, wireLabels } from "../../core/pyroscope_labels/mod.ts";
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
 * order the server picks a parser (docs/spec/pyroscope-wire.md §6.3), so a reader knows how to open it.
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

/** One index line for a push sample, its labels as `pyroscope.write` sends them. */
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
    labels: wireLabels(labels, "push").toRecord(),
    file,
    bytes,
  };
  if (id) record.id = id;
  return JSON.stringify(record) + "\n";
}

/**
 * One index line for an ingest item: its labels as `pyroscope.write` sends them and the
 * `name=` it rebuilds from them.
 */
export function ingestIndexLine(ts: number, item: IngestItem, file: string): string {
  const labels = wireLabels(item.labels, "ingest");
  return JSON.stringify({
    ts: new Date(ts).toISOString(),
    kind: "ingest",
    labels: labels.toRecord(),
    name: formatIngestName(labels),
    file,
    bytes: item.body.byteLength,
    content_type: item.contentType,
    query: item.query,
  }) + "\n";
}
