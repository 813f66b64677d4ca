/**
 * The two kinds of item that flow through a pipeline, mirroring Alloy so that both Pyroscope
 * APIs round-trip losslessly. Items are immutable: a processor that changes one returns a new
 * object (`{ ...item, labels }`), so a change made in one pipeline is never seen in another.
 * Byte arrays are shared between pipelines and must never be mutated in place.
 *
 * @example
 * ```ts
 * import { LabelSet } from "./labels.ts";
 * import { itemBytes, type PushItem } from "./items.ts";
 * const item: PushItem = {
 *   kind: "push",
 *   labels: LabelSet.from({ __name__: "process_cpu", service_name: "api" }),
 *   samples: [{ rawProfile: new Uint8Array([0x1f, 0x8b]) }],
 * };
 * itemBytes(item); // 2
 * ```
 * @module
 */

import { ownBytes } from "./bytes.ts";
import type { LabelSet } from "./labels.ts";

/** One profile of a push series: pprof bytes (gzipped or not) and an optional client id. */
export interface RawSample {
  readonly rawProfile: Uint8Array;
  readonly id?: string;
}

/**
 * A push item: a label set and one or more raw pprof samples. Produced by the scraper and by
 * Connect `Push`; forwarded as bytes without decoding unless a step needs the content.
 */
export interface PushItem {
  readonly kind: "push";
  readonly labels: LabelSet;
  readonly samples: readonly RawSample[];
  /** See {@linkcode ItemDeadline}. */
  readonly deadline?: ItemDeadline;
}

/**
 * An ingest item from `POST /ingest`: the body and every query parameter except `name` travel
 * untouched; `name` is rebuilt from `labels` when forwarded.
 */
export interface IngestItem {
  readonly kind: "ingest";
  /** Labels parsed from the `name` parameter (`__name__` holds the application name). */
  readonly labels: LabelSet;
  /** The request body exactly as received. */
  readonly body: Uint8Array;
  /** Every value of the incoming `Content-Type` header, in order. */
  readonly contentType: readonly string[];
  /** Every query parameter except `name`, in arrival order. */
  readonly query: readonly (readonly [string, string])[];
  /** See {@linkcode ItemDeadline}. */
  readonly deadline?: ItemDeadline;
}

/**
 * When (epoch ms) the request an item came in gives up, carried from a receiver's incoming
 * `Connect-Timeout-Ms` (`core/ingest/deadline.ts`) when it is set to carry it: a writer sends
 * what is left downstream and gives the item up (reason `deadline_exceeded`) once it passes.
 */
export type ItemDeadline = number;

/** Anything a pipeline carries. */
export type Item = PushItem | IngestItem;

/** Payload bytes of an item: summed raw profiles for push items, the body for ingest items. */
export function itemBytes(item: Item): number {
  if (item.kind === "ingest") return item.body.byteLength;
  let total = 0;
  for (const sample of item.samples) total += sample.rawProfile.byteLength;
  return total;
}

/** Number of profiles an item carries (samples for push items, 1 for ingest items). */
export function itemProfiles(item: Item): number {
  return item.kind === "ingest" ? 1 : item.samples.length;
}

/** A copy of `item` with other labels; the payload is shared, never copied. */
export function withLabels<T extends Item>(item: T, labels: LabelSet): T {
  return item.labels === labels ? item : { ...item, labels };
}

/**
 * `item` with payload bytes of its own ({@linkcode ownBytes}): decoded items are views into
 * the request buffer (or the gunzip output) they arrived in, so a small item kept in a queue
 * would keep the whole request alive. `copies` maps a payload already owned for this request
 * to its copy, so an item reaching several exporters (or pipelines) is copied once. Returns
 * `item` itself when it already owns its bytes.
 */
export function ownedItem(item: Item, copies: Map<Uint8Array, Uint8Array>): Item {
  const own = (view: Uint8Array): Uint8Array => {
    let copy = copies.get(view);
    if (copy === undefined) copies.set(view, copy = ownBytes(view));
    return copy;
  };
  if (item.kind === "ingest") {
    const body = own(item.body);
    return body === item.body ? item : { ...item, body };
  }
  let changed = false;
  const samples = item.samples.map((sample) => {
    const rawProfile = own(sample.rawProfile);
    if (rawProfile === sample.rawProfile) return sample;
    changed = true;
    return { ...sample, rawProfile };
  });
  return changed ? { ...item, samples } : item;
}
