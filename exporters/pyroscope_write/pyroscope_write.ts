/**
 * The `pyroscope.write` exporter: accepts items into one delivery queue per endpoint
 * (`core/delivery`) and sends them as Connect `Push` requests (several series per request) or
 * legacy `/ingest` forwards. Endpoints are independent: each has its own queue, senders,
 * backoff and spool, so a down endpoint never delays another. A request is reserved at every
 * endpoint or at none (`core/admission.ts`), so backpressure never duplicates.
 *
 * @module
 */

import { join } from "node:path";
import {
  type Demand,
  NOTHING_RESERVED,
  type Reservation,
  reserveAll,
  type SizedItem,
} from "../../core/admission.ts";
import type { ComponentSettings, Exporter } from "../../core/component.ts";
import { withLabels } from "../../core/items.ts";
import { DeliveryQueue, type Parcel } from "../../core/delivery/delivery_queue.ts";
import { deliveryMetrics } from "../../core/delivery/delivery_metrics.ts";
import { withAlloyWriteMetrics } from "./alloy_metrics.ts";
import { createHttpClient, type HttpClient } from "../../core/http/client.ts";
import { endpointKey, endpointLabel, type PyroscopeWriteConfig } from "./config.ts";
import { batchDeadline, DEADLINE_META, endpointSender, TENANT_META } from "./endpoint_sender.ts";
import { EndpointTransport } from "./transport.ts";
import type { DebuginfoCall, DebuginfoForwarder } from "../../core/debuginfo.ts";
import { debuginfoForwarder } from "./debuginfo_forward.ts";
import { prepareLabels } from "./labels.ts";

interface Endpoint {
  /** Identity across reloads (`endpointKey`): same key, same queue contents. */
  readonly key: string;
  readonly label: string;
  readonly queue: DeliveryQueue;
  readonly client: HttpClient;
}

/** See the module doc. */
export class PyroscopeWriteExporter implements Exporter, DebuginfoForwarder {
  readonly #settings: ComponentSettings;
  readonly #external: readonly (readonly [string, string])[];
  readonly #endpoints: Endpoint[] = [];
  #unregister: (() => void) | undefined;
  /** Endpoint labels a successor (reload) still counts in; undefined until adopted. */
  #successorLabels: ReadonlySet<string> | undefined;
  #started = false;
  #stopped = false;
  /** Debug info goes to the first endpoint only (`debuginfo_forward.ts`). */
  #debuginfo: DebuginfoForwarder | undefined;

  constructor(settings: ComponentSettings, config: PyroscopeWriteConfig) {
    this.#settings = settings;
    // Empty values stay: they delete the label (docs/spec/pyroscope-wire.md §4.1).
    this.#external = Object.entries(config.external_labels);
    const metrics = withAlloyWriteMetrics(deliveryMetrics(settings.metrics), settings.metrics);
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
        shutdownDeadline: () => settings.host.shutdownDeadline?.(),
        // Items of one request share its deadline; those of different deadlines never mix.
        batchKey: (queued) =>
          queued.item.kind === "push"
            ? `push|${queued.meta[TENANT_META] ?? ""}|${queued.meta[DEADLINE_META] ?? ""}`
            : undefined,
        deadline: batchDeadline,
        send: endpointSender(new EndpointTransport(endpoint, client), endpoint.protocol),
      });
      this.#endpoints.push({ key: endpointKey(endpoint), label, queue, client });
      this.#debuginfo ??= debuginfoForwarder(
        endpoint,
        client,
        settings.logger.child({ endpoint: label }),
      );
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

  check(demand: Demand): void {
    for (const endpoint of this.#endpoints) endpoint.queue.check(demand);
  }

  /**
   * Prepares the outgoing labels of every item (throws {@linkcode InvalidItemError} naming the
   * first the server would refuse), then reserves at every endpoint or at none.
   */
  async reserve(items: readonly SizedItem[]): Promise<Reservation> {
    if (this.#endpoints.length === 0) return NOTHING_RESERVED; // as Alloy: nowhere to send
    const parcels = items.map((one): Parcel => {
      const { item } = one;
      const { labels, tenant } = prepareLabels(item.kind, item.labels, this.#external);
      const meta: Record<string, string> = tenant ? { [TENANT_META]: tenant } : {};
      // In meta (not only on the item) so that a spooled item keeps its deadline.
      if (item.deadline !== undefined) meta[DEADLINE_META] = String(item.deadline);
      return { ...one, queued: { item: withLabels(item, labels), meta } };
    });
    return await reserveAll(
      this.#endpoints.map((endpoint) => () => endpoint.queue.reserve(parcels)),
    );
  }

  /**
   * Takes over the queues of the instance this one replaces on a reload: each endpoint whose
   * identity (`endpointKey`) is unchanged hands its queued profiles over (memory, or the spool
   * directory), so the reload neither waits for a drain nor drops anything; an endpoint the new
   * config no longer has gives its profiles up (reason `endpoint_removed`, with a warn line).
   */
  async adopt(previous: Exporter): Promise<void> {
    if (!(previous instanceof PyroscopeWriteExporter) || previous === this) return;
    // Its endpoints are this instance's now; the status page shows only the successor.
    previous.#unregister?.();
    previous.#unregister = undefined;
    previous.#successorLabels = new Set(this.#endpoints.map((endpoint) => endpoint.label));
    const mine = new Map(this.#endpoints.map((endpoint) => [endpoint.key, endpoint]));
    await Promise.all(previous.#endpoints.map(async (old) => {
      const next = mine.get(old.key);
      if (next === undefined) return await old.queue.retire("endpoint_removed");
      const moved = old.queue.handOver(next.queue);
      if (moved.profiles > 0) {
        this.#settings.logger.info("queued profiles handed over to the reloaded exporter", {
          endpoint: old.label,
          profiles: moved.profiles,
          bytes: moved.bytes,
          via: moved.via,
        });
      }
    }));
  }

  /** Forwards a debug-info call to the first endpoint (`core/debuginfo.ts`). */
  forwardDebuginfo(call: DebuginfoCall): Promise<Response> {
    if (!this.#debuginfo) {
      return Promise.resolve(new Response("no endpoint configured\n", { status: 503 }));
    }
    return this.#debuginfo.forwardDebuginfo(call);
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unregister?.();
    await Promise.all(this.#endpoints.map((e) => e.queue.shutdown()));
    for (const endpoint of this.#endpoints) {
      endpoint.client.close();
      // An endpoint (or this whole component) a reload removed leaves /metrics; one the
      // successor still has keeps its series, which the successor counts on in.
      if (this.#successorLabels?.has(endpoint.label) !== true) endpoint.queue.forgetMetrics();
    }
  }
}

/** A file-system-safe, stable directory name for one endpoint of one component. */
function spoolDirName(componentId: string, key: string): string {
  const safe = `${componentId}_${key}`.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 80);
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return `${safe}-${(hash >>> 0).toString(16)}`;
}
