/**
 * The component contract (OpenTelemetry Collector factory pattern). A factory is plain data:
 * its type, kind, stability, zod config schema and a pure `createDefaultConfig()`; `create`
 * builds a component from a validated config. Components have `start()` and `shutdown()`;
 * shutdown is safe without start and safe twice, stops every timer and socket, and flushes or
 * persists what the component holds.
 *
 * - Receivers call `next.consume(item)` and answer their callers once it resolves.
 * - Processors map one item to one item, or `null` to drop it. The pipeline owns the chaining,
 *   so drops and processor errors are counted the same way for built-ins and user modules.
 * - Exporters accept items into their own queue in `consume`.
 *
 * Components import `core/` (and `pprof/`), never each other.
 *
 * @module
 */

import type { z } from "zod";
import type { Item } from "./items.ts";
import type { Logger } from "./telemetry/logger.ts";
import type { MetricsRegistry } from "./telemetry/metrics.ts";

/** What a component is. */
export type ComponentKind = "receiver" | "processor" | "exporter";

/** How settled a component is, shown by `main.ts components`. */
export type Stability = "stable" | "beta" | "alpha" | "experimental";

/** Where items go next: a pipeline, a fan-out, or an exporter's queue. */
export interface Consumer {
  /**
   * Accepts an item. Resolves once every downstream queue accepted it (not after delivery).
   * Rejects with {@linkcode BackpressureError} when a queue is full, in which case nothing
   * was enqueued anywhere and the caller may retry later.
   */
  consume(item: Item): Promise<void>;
  /**
   * Optional cheap check before a receiver reads a request body: `false` when some exporter
   * downstream has no room for `bytes` more right now, so the receiver can answer 429 without
   * reading (and buffering) the body. `true` or absent means "try `consume`".
   */
  hasRoomFor?(bytes: number): boolean;
}

/** Services the running collector offers to components. */
export interface Host {
  /**
   * Publishes a status provider under `name` (e.g. `"targets"`), merged into
   * `/api/v1/status`, `/api/v1/targets` and the admin page. Returns an unregister function.
   * Providers are called on demand and must be cheap.
   */
  registerStatus(name: string, provider: () => unknown): () => void;
}

/** What every component gets besides its config. */
export interface ComponentSettings {
  /** `type` or `type/name`, e.g. `pyroscope.write/staging`. */
  readonly id: string;
  /** A logger carrying `component=<id>`. */
  readonly logger: Logger;
  /** The process-wide metrics registry; label series with `component_id: id`. */
  readonly metrics: MetricsRegistry;
  readonly host: Host;
  /** The running collector's version, for `User-Agent` headers. */
  readonly version: string;
}

/** Lifecycle shared by every component. */
export interface Lifecycle {
  start(): Promise<void>;
  /** Safe without start and safe twice. */
  shutdown(): Promise<void>;
}

/** A receiver pushes items into `next`. */
export type Receiver = Lifecycle;

/** A processor maps one item to one item, or `null` to drop it. May be async. */
export interface Processor extends Lifecycle {
  process(item: Item): Item | null | Promise<Item | null>;
}

/** An exporter accepts items into its queue. */
export interface Exporter extends Lifecycle, Consumer {
  /**
   * Whether `consume(item)` would be accepted right now (queue room for the item's bytes).
   * The pipeline asks every exporter before enqueueing anywhere, so a full queue turns into
   * backpressure for the caller instead of a partial delivery. Must be synchronous and cheap.
   */
  hasCapacityFor(item: Item): boolean;
  /** Optional: whether `bytes` more of payload would fit now (see `Consumer.hasRoomFor`). */
  hasRoomForBytes?(bytes: number): boolean;
}

interface FactoryBase<Schema extends z.ZodType> {
  /** The component type, e.g. `pyroscope.write`. */
  readonly type: string;
  readonly stability: Stability;
  /** One line shown by `main.ts components`. */
  readonly description: string;
  /** Validates and fills defaults; unknown keys must be errors (`z.strictObject`). */
  readonly configSchema: Schema;
  /** The default config as the user would write it (input form), pure and fresh each call. */
  createDefaultConfig(): z.input<Schema>;
}

/** Builds receivers. */
export interface ReceiverFactory<Schema extends z.ZodType = z.ZodType> extends FactoryBase<Schema> {
  readonly kind: "receiver";
  create(settings: ComponentSettings, config: z.output<Schema>, next: Consumer): Receiver;
}

/** Builds processors. */
export interface ProcessorFactory<Schema extends z.ZodType = z.ZodType>
  extends FactoryBase<Schema> {
  readonly kind: "processor";
  create(settings: ComponentSettings, config: z.output<Schema>): Processor;
}

/** Builds exporters. */
export interface ExporterFactory<Schema extends z.ZodType = z.ZodType> extends FactoryBase<Schema> {
  readonly kind: "exporter";
  create(settings: ComponentSettings, config: z.output<Schema>): Exporter;
}

/** Any factory. */
// deno-lint-ignore no-explicit-any
export type Factory = ReceiverFactory<any> | ProcessorFactory<any> | ExporterFactory<any>;

/**
 * Thrown by `Consumer.consume` when a downstream queue is full. Receivers turn it into
 * HTTP 429 with `Retry-After: retryAfterSeconds`.
 */
export class BackpressureError extends Error {
  override readonly name = "BackpressureError";
  constructor(message: string, readonly retryAfterSeconds = 1) {
    super(message);
  }
}

/**
 * Thrown by `Consumer.consume` when an item is refused for good (e.g. its labels would be
 * rejected by the server). Receivers turn it into HTTP 400 with the message.
 */
export class InvalidItemError extends Error {
  override readonly name = "InvalidItemError";
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

/** Splits a component id into type and name: `pyroscope.write/a` → `["pyroscope.write", "a"]`. */
export function parseComponentId(id: string): { type: string; name: string | undefined } {
  const slash = id.indexOf("/");
  return slash < 0 ? { type: id, name: undefined } : {
    type: id.slice(0, slash),
    name: id.slice(slash + 1),
  };
}
