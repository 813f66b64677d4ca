/**
 * The `pyroscope.write` exporter: accepts items into one delivery queue per endpoint
 * (`core/delivery`) and sends them as Connect `Push` requests (several series per request) or
 * legacy `/ingest` forwards. Endpoints are independent: each has its own queue, senders,
 * backoff and spool, so a down endpoint never delays another. An item is accepted only when
 * every endpoint has room for it (capacity-first), so backpressure never duplicates.
 *
 * @module
 */

import { join } from "node:path";
import { type ComponentSettings, type Exporter, InvalidItemError } from "../../core/component.ts";
import { DeliveryQueue } from "../../core/delivery/delivery_queue.ts";
import { deliveryMetrics } from "../../core/delivery/delivery_metrics.ts";
import type { QueuedItem } from "../../core/delivery/item_codec.ts";
import { createHttpClient, type HttpClient } from "../../core/http/client.ts";
import { type Item, itemBytes, itemProfiles } from "../../core/items.ts";
import type { Counter } from "../../core/telemetry/metrics.ts";
import { endpointKey, endpointLabel, type PyroscopeWriteConfig } from "./config.ts";
import { endpointSender, TENANT_META } from "./endpoint_sender.ts";
import { prepareLabels } from "./labels.ts";

interface Endpoint {
  readonly queue: DeliveryQueue;
  readonly client: HttpClient;
}

/** See the module doc. */
export class PyroscopeWriteExporter implements Exporter {
  readonly #settings: ComponentSettings;
  readonly #external: readonly (readonly [string, string])[];
  readonly #endpoints: Endpoint[] = [];
  readonly #rejected: Counter;
  #unregister: (() => void) | undefined;
  #started = false;
  #stopped = false;

  constructor(settings: ComponentSettings, config: PyroscopeWriteConfig) {
    this.#settings = settings;
    // Empty values stay: they delete the label (spec §4.1).
    this.#external = Object.entries(config.external_labels);
    this.#rejected = settings.metrics.counter(
      "profcol_write_rejected_profiles_total",
      "Profiles refused before sending because the server would refuse them, by reason.",
      ["component_id", "reason"],
    );
    const metrics = deliveryMetrics(settings.metrics);
    for (const endpoint of config.endpoint) {
      const label = endpointLabel(endpoint);
      const client = createHttpClient(endpoint, { userAgent: `profcol/${settings.version}` });
      const spool = config.queue.spool;
      const queue = new DeliveryQueue({
        componentId: settings.id,
        endpoint: label,
        config: config.queue,
        retry: {
          minBackoffMs: endpoint.min_backoff_period,
          maxBackoffMs: endpoint.max_backoff_period,
          maxAttempts: endpoint.max_backoff_retries,
        },
        metrics,
        logger: settings.logger.child({ endpoint: label }),
        spoolDirectory: spool
          ? join(spool.directory, spoolDirName(settings.id, endpointKey(endpoint)))
          : undefined,
        batchKey: (queued) =>
          queued.item.kind === "push" ? `push|${queued.meta[TENANT_META] ?? ""}` : undefined,
        send: endpointSender(endpoint, client),
      });
      this.#endpoints.push({ queue, client });
    }
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await Promise.all(this.#endpoints.map((e) => e.queue.start()));
    this.#unregister = this.#settings.host.registerStatus("exporters", () => ({
      id: this.#settings.id,
      endpoints: this.#endpoints.map((e) => e.queue.status()),
    }));
  }

  hasCapacityFor(item: Item): boolean {
    const bytes = itemBytes(item);
    for (const endpoint of this.#endpoints) {
      if (!endpoint.queue.hasCapacityFor(bytes)) return false;
    }
    return true;
  }

  hasRoomForBytes(bytes: number): boolean {
    for (const endpoint of this.#endpoints) {
      if (!endpoint.queue.hasCapacityFor(bytes)) return false;
    }
    return true;
  }

  async consume(item: Item): Promise<void> {
    if (this.#endpoints.length === 0) return; // As Alloy: no endpoint, nothing to do.
    let queued: QueuedItem;
    try {
      const { labels, tenant } = prepareLabels(item.kind, item.labels, this.#external);
      const outgoing = item.labels === labels ? item : { ...item, labels };
      queued = { item: outgoing, meta: tenant ? { [TENANT_META]: tenant } : {} };
    } catch (error) {
      if (error instanceof InvalidItemError) {
        this.#rejected.inc(
          { component_id: this.#settings.id, reason: error.reason },
          itemProfiles(item),
        );
      }
      throw error;
    }
    const results = await Promise.allSettled(this.#endpoints.map((e) => e.queue.enqueue(queued)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failed) return;
    const reason = failed.reason;
    if (reason instanceof RangeError) {
      this.#rejected.inc(
        { component_id: this.#settings.id, reason: "too_large" },
        itemProfiles(item),
      );
      throw new InvalidItemError(reason.message, "too_large");
    }
    throw reason;
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unregister?.();
    await Promise.all(this.#endpoints.map((e) => e.queue.shutdown()));
    for (const endpoint of this.#endpoints) endpoint.client.close();
  }
}

/** A file-system-safe, stable directory name for one endpoint of one component. */
function spoolDirName(componentId: string, key: string): string {
  const safe = `${componentId}_${key}`.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 80);
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return `${safe}-${(hash >>> 0).toString(16)}`;
}
