/**
 * `/components/<id>/live` as server-sent events: the items passing a component (received,
 * output, dropped, enqueued) with their labels, at most 50 a second per viewer (the rest counted
 * as `skipped`), every line through the redaction rule, a keepalive comment every 15 s. The
 * stream ends when the viewer leaves, live debugging is turned off, or the console closes
 * (`streams` holds each stream's end).
 *
 * @module
 */

import { type Item, itemBytes, itemProfiles } from "../core/items.ts";
import type { Taps } from "../core/pipeline/taps.ts";
import { redactText } from "../core/redact.ts";

/** Items sent per second to one viewer; more are counted as skipped. */
const LIVE_MAX_PER_SECOND = 50;

/** What a live stream needs. */
export interface LiveStreamOptions {
  readonly taps: Taps;
  readonly id: string;
  /** Only items whose labels contain this text (case-insensitive). */
  readonly filter: string;
  /** Whether live debugging is still on (checked at each item). */
  readonly enabled: () => boolean;
  /** The ends of the open streams, so closing the console ends them. */
  readonly streams: Set<() => void>;
}

/** The live stream of `options.id`. */
export function liveStream({ taps, id, filter, enabled, streams }: LiveStreamOptions): Response {
  const encoder = new TextEncoder();
  const needle = filter.toLowerCase();
  let end = () => {};
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      let second = 0, sent = 0, skipped = 0;
      const send = (event: string, data: unknown) =>
        controller.enqueue(
          encoder.encode(`event: ${event}\ndata: ${redactText(JSON.stringify(data))}\n\n`),
        );
      const unwatch = taps.watch(id, (event, item: Item) => {
        if (!enabled()) return end();
        const labels = item.labels.toString();
        if (needle && !labels.toLowerCase().includes(needle)) return;
        const now = Date.now();
        const tick = Math.floor(now / 1000);
        if (tick !== second) {
          if (skipped > 0) send("skipped", { skipped });
          second = tick;
          sent = 0;
          skipped = 0;
        }
        if (++sent > LIVE_MAX_PER_SECOND) {
          skipped++;
          return;
        }
        send("item", {
          time: now,
          event,
          type: item.kind === "push"
            ? `push ${item.labels.get("__name__") ?? ""}`.trim()
            : `ingest ${item.query.find(([k]) => k === "format")?.[1] ?? ""}`.trim(),
          bytes: itemBytes(item),
          profiles: itemProfiles(item),
          labels,
        });
      });
      const keepalive = setInterval(
        () => controller.enqueue(encoder.encode(": keepalive\n\n")),
        15_000,
      );
      let ended = false;
      end = () => {
        if (ended) return;
        ended = true;
        unwatch();
        clearInterval(keepalive);
        streams.delete(end);
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      streams.add(end);
      controller.enqueue(encoder.encode(": live debugging of " + JSON.stringify(id) + "\n\n"));
    },
    cancel: () => end(),
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}
