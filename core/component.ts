/**
 * The component contract (OpenTelemetry Collector factory pattern). A factory is plain data:
 * its type, kind, stability, zod config schema and a pure `createDefaultConfig()`; `create`
 * builds a component from a validated config. Components have `start()` and `shutdown()`;
 * shutdown is safe without start and safe twice, stops every timer and socket, and flushes or
 * persists what the component holds.
 *
 * - Receivers hand `next.consume(items)` a whole request and answer their callers once it
 *   resolves: all of it was queued at every target, or none of it (see `admission.ts`).
 * - Processors map one item to one item, or `null` to drop it. The pipeline owns the chaining,
 *   so drops and processor errors are counted the same way for built-ins and user modules.
 * - Exporters reserve room in their own queues and commit it (the {@linkcode Admission} API).
 *
 * Components import `core/` (and `pprof/`), never each other.
 *
 * @module
 */

import type { AlloyMapping } from "./alloy.ts";
import type { z } from "zod";
import type { Admission, Demand } from "./admission.ts";
import type { Item } from "./items.ts";
import type { StatusName, StatusProvider } from "./status.ts";
import type { Logger } from "./telemetry/logger.ts";
import type { MetricsRegistry } from "./telemetry/metrics.ts";
import type { TaskRunner } from "./workers/pool.ts";

/** What a component is. */
export type ComponentKind = "receiver" | "processor" | "exporter";

/** How settled a component is, shown by `main.ts components`. */
export type Stability = "stable" | "beta" | "alpha" | "experimental";

/** Where a receiver's requests go: the pipeline port of that receiver. */
export interface Consumer {
  /**
   * Admits a whole request. Resolves once every item is queued at every exporter it reaches
   * (not after delivery). Rejects with a typed refusal ({@linkcode BackpressureError},
   * {@linkcode TooLargeError}, {@linkcode InvalidItemError}) when any of it cannot be taken, in
   * which case none of it was queued anywhere and a retry duplicates nothing.
   */
  consume(items: readonly Item[]): Promise<void>;
  /**
   * Throws the refusal `demand` would get right now, without holding anything: lets a receiver
   * answer 429 before reading (and buffering) a body no queue has room for.
   */
  check(demand: Demand): void;
}

/** Services the running collector offers to components. */
export interface Host {
  /**
   * Publishes a status provider under `name` (`"targets"`, `"discovery"`, `"exporters"`: the
   * typed contracts of `status.ts`), merged into `/api/v1/status`, `/api/v1/targets`, `/status`
   * and the console. Returns an unregister function. Providers are called on demand and must
   * be cheap.
   */
  registerStatus<Name extends StatusName>(name: Name, provider: StatusProvider<Name>): () => void;
  /**
   * While the collector shuts down, when everything must be stopped (epoch ms); `undefined`
   * otherwise. A component that drains (e.g. an exporter's queue) ends early enough to report
   * what it gives up before the process exits.
   */
  shutdownDeadline?(): number | undefined;
  /**
   * Where CPU-heavy work runs (`service.workers`): a pool of worker threads, started on first
   * use, or the main thread when `workers` is 1. Absent (tests) means the main thread.
   */
  workers?(): TaskRunner;
}

/** What every component gets besides its config. */
export interface ComponentSettings {
  /** `type` or `type/name`, e.g. `pyroscope.write/staging`. */
  readonly id: string;
  /** A logger carrying `component_id=<id>`. */
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

/**
 * An exporter queues items through the {@linkcode Admission} API: `check` is synchronous and
 * cheap, `reserve` holds room for every item given (or refuses all of them), and the
 * reservation is committed only once every other target of the request reserved too.
 */
export interface Exporter extends Lifecycle, Admission {
  /**
   * Optional: takes over what `previous` still holds — the instance this one replaces on a
   * reload (same id, changed config, same type). Called after this instance started and no new
   * items can reach `previous`, right before `previous.shutdown()`, which then only waits for
   * its requests in flight instead of draining. Without it the previous instance drains (or
   * persists) on shutdown as usual.
   */
  adopt?(previous: Exporter): void | Promise<void>;
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
  /** The Alloy component this one replaces and how its blocks convert (`profcol convert`). */
  readonly alloy?: AlloyMapping;
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

export { BackpressureError, InvalidItemError, TooLargeError } from "./admission.ts";

/** Splits a component id into type and name: `pyroscope.write/a` → `["pyroscope.write", "a"]`. */
export function parseComponentId(id: string): { type: string; name: string | undefined } {
  const slash = id.indexOf("/");
  return slash < 0 ? { type: id, name: undefined } : {
    type: id.slice(0, slash),
    name: id.slice(slash + 1),
  };
}
