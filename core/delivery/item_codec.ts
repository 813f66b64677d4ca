/**
 * The spool's file format for one queued item: `PCQ1`, a little-endian u32 header length, a
 * JSON header (labels, sample lengths and ids, ingest metadata, the sender's `meta`), then the
 * payload bytes. Payloads are written as they are (no re-encoding), so a spooled profile is
 * sent byte-identical after a restart.
 *
 * @example
 * ```ts
 * import { decodeQueuedItem, encodeQueuedItem } from "./item_codec.ts";
 * import { LabelSet } from "../labels.ts";
 * const bytes = encodeQueuedItem({
 *   item: { kind: "push", labels: LabelSet.from({ service_name: "a" }), samples: [{ rawProfile: new Uint8Array([1, 2]) }] },
 *   meta: { tenant: "t1" },
 * });
 * decodeQueuedItem(bytes).meta.tenant; // "t1"
 * ```
 * @module
 */

import type { Item, RawSample } from "../items.ts";
import { concatBytes } from "../bytes.ts";
import { LabelSet } from "../labels.ts";

/** An item with the small string metadata its sender needs (e.g. the tenant). */
export interface QueuedItem {
  readonly item: Item;
  readonly meta: Readonly<Record<string, string>>;
}

const MAGIC = [0x50, 0x43, 0x51, 0x31]; // "PCQ1"

interface Header {
  k: "push" | "ingest";
  n: string[];
  v: string[];
  m: Record<string, string>;
  /** push: [length, id] per sample; ingest: [[body length, ""]]. */
  s: [number, string][];
  ct?: string[];
  q?: [string, string][];
}

/** Encodes a queued item for the spool. */
export function encodeQueuedItem(queued: QueuedItem): Uint8Array {
  const { item, meta } = queued;
  const payloads = item.kind === "push" ? item.samples.map((s) => s.rawProfile) : [item.body];
  const header: Header = {
    k: item.kind,
    n: [...item.labels.names],
    v: [...item.labels.values],
    m: { ...meta },
    s: item.kind === "push"
      ? item.samples.map((s) => [s.rawProfile.byteLength, s.id ?? ""])
      : [[item.body.byteLength, ""]],
  };
  if (item.kind === "ingest") {
    header.ct = [...item.contentType];
    header.q = item.query.map(([k, v]) => [k, v]);
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = new Uint8Array(4);
  new DataView(headerLength.buffer).setUint32(0, headerBytes.byteLength, true);
  return concatBytes([new Uint8Array(MAGIC), headerLength, headerBytes, ...payloads]);
}

/** Decodes a spool file; throws an Error naming what is wrong when the file is damaged. */
export function decodeQueuedItem(bytes: Uint8Array): QueuedItem {
  if (bytes.byteLength < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error("not a profcol spool file (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw new Error("spool file truncated in its header");
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
  ) as Header;
  let offset = 8 + headerLength;
  const take = (length: number): Uint8Array => {
    if (offset + length > bytes.byteLength) throw new Error("spool file truncated in its payload");
    const part = bytes.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const done = () => {
    if (offset !== bytes.byteLength) throw new Error("spool file has trailing bytes");
  };
  const labels = LabelSet.fromSortedUnchecked(header.n, header.v);
  if (header.k === "push") {
    const samples: RawSample[] = header.s.map(([length, id]) => {
      const rawProfile = take(length);
      return id ? { rawProfile, id } : { rawProfile };
    });
    done();
    return { item: { kind: "push", labels, samples }, meta: header.m };
  }
  const body = take(header.s[0]?.[0] ?? 0);
  done();
  return {
    item: { kind: "ingest", labels, body, contentType: header.ct ?? [], query: header.q ?? [] },
    meta: header.m,
  };
}
