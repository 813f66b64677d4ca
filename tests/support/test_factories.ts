/**
 * Small components for testing the pipeline, service and CLI without real receivers or
 * exporters: a receiver tests push into, a processor that sets a label / drops / throws, and
 * a recording exporter with a configurable capacity, delay and failure. Instances are
 * reachable by component id through {@linkcode instances} (one process-wide map, reset per
 * test with `instances.clear()`).
 *
 * @module
 */

import { z } from "zod";
import {
  BackpressureError,
  type Demand,
  demandOf,
  holdOnce,
  type Reservation,
  type SizedItem,
} from "../../core/admission.ts";
import type {
  ComponentSettings,
  Consumer,
  Exporter,
  ExporterFactory,
  Processor,
  ProcessorFactory,
  Receiver,
  ReceiverFactory,
} from "../../core/component.ts";
import { durationField } from "../../core/config/fields.ts";
import { type Item, withLabels } from "../../core/items.ts";
import type { TargetStatus } from "../../core/status.ts";

/** Every live test component by id (the latest instance wins). */
export const instances: Map<string, TestReceiver | TestProcessor | TestExporter> = new Map();

/** Events in the order they happened, e.g. `start:test.exporter/a`. */
export const events: string[] = [];

const receiverSchema = z.strictObject({
  /** Any text; changing it changes the config (forces a new instance on reload). */
  tag: z.string().default(""),
  fail_start: z.boolean().default(false),
  /** Registers a `"targets"` status entry with this name when set. */
  target: z.string().default(""),
  /** A secret, to test redaction. */
  password: z.string().default(""),
});

/** A receiver whose `push` hands an item to the pipeline. */
export class TestReceiver implements Receiver {
  started = false;
  stopped = false;
  #off: (() => void) | undefined;
  constructor(
    readonly settings: ComponentSettings,
    readonly config: z.output<typeof receiverSchema>,
    readonly next: Consumer,
  ) {
    instances.set(settings.id, this);
  }
  start(): Promise<void> {
    events.push(`start:${this.settings.id}`);
    if (this.config.fail_start) return Promise.reject(new Error("port already in use (test)"));
    this.started = true;
    if (this.config.target) {
      this.#off = this.settings.host.registerStatus(
        "targets",
        () => [testTarget(this.settings.id, this.config.target)],
      );
    }
    return Promise.resolve();
  }
  /** Pushes like a real receiver would; rejects after shutdown. */
  push(item: Item): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`${this.settings.id} is stopped`));
    return this.next.consume([item]);
  }
  shutdown(): Promise<void> {
    if (!this.stopped) events.push(`shutdown:${this.settings.id}`);
    this.stopped = true;
    this.#off?.();
    return Promise.resolve();
  }
}

/** Factory of {@linkcode TestReceiver}, type `test.receiver`. */
export const testReceiverFactory: ReceiverFactory<typeof receiverSchema> = {
  type: "test.receiver",
  kind: "receiver",
  stability: "experimental",
  description: "Test receiver.",
  configSchema: receiverSchema,
  createDefaultConfig: () => ({}),
  create: (settings, config, next) => new TestReceiver(settings, config, next),
};

const processorSchema = z.strictObject({
  /** Sets `label` to `value` on every item. */
  label: z.string().default("step"),
  value: z.string().default(""),
  drop: z.boolean().default(false),
  throw: z.boolean().default(false),
});

/** A processor that sets a label, drops, or throws. */
export class TestProcessor implements Processor {
  stopped = false;
  constructor(
    readonly settings: ComponentSettings,
    readonly config: z.output<typeof processorSchema>,
  ) {
    instances.set(settings.id, this);
  }
  start(): Promise<void> {
    events.push(`start:${this.settings.id}`);
    return Promise.resolve();
  }
  process(item: Item): Item | null {
    if (this.config.throw) throw new Error("processor failure (test)");
    if (this.config.drop) return null;
    if (!this.config.value) return item;
    return withLabels(item, item.labels.with(this.config.label, this.config.value));
  }
  shutdown(): Promise<void> {
    if (!this.stopped) events.push(`shutdown:${this.settings.id}`);
    this.stopped = true;
    return Promise.resolve();
  }
}

/** Factory of {@linkcode TestProcessor}, type `test.processor`. */
export const testProcessorFactory: ProcessorFactory<typeof processorSchema> = {
  type: "test.processor",
  kind: "processor",
  stability: "experimental",
  description: "Test processor.",
  configSchema: processorSchema,
  createDefaultConfig: () => ({}),
  create: (settings, config) => new TestProcessor(settings, config),
};

const exporterSchema = z.strictObject({
  /** Items the queue holds before `check` refuses with backpressure. */
  capacity: z.number().int().min(0).default(1000),
  /** How long `reserve` takes. */
  delay: durationField().default(0),
  fail: z.boolean().default(false),
  fail_start: z.boolean().default(false),
  /** How long shutdown takes (to test the deadline). */
  shutdown_delay: durationField().default(0),
  /** Where each accepted item is appended as a JSON line on shutdown (subprocess tests). */
  output: z.string().default(""),
  tag: z.string().default(""),
});

/** An exporter that records items; `flushed` holds what it had at shutdown. */
export class TestExporter implements Exporter {
  readonly items: Item[] = [];
  stopped = false;
  #reserved = 0;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  constructor(
    readonly settings: ComponentSettings,
    readonly config: z.output<typeof exporterSchema>,
  ) {
    instances.set(settings.id, this);
  }
  start(): Promise<void> {
    events.push(`start:${this.settings.id}`);
    return this.config.fail_start
      ? Promise.reject(new Error("cannot open queue (test)"))
      : Promise.resolve();
  }
  check(demand: Demand): void {
    if (this.stopped) throw new BackpressureError("stopped (test)", 1);
    if (this.items.length + this.#reserved + demand.items > this.config.capacity) {
      throw new BackpressureError("full (test)", 1);
    }
  }
  async reserve(items: readonly SizedItem[]): Promise<Reservation> {
    if (this.config.delay > 0) await this.#sleep(this.config.delay);
    if (this.config.fail) throw new Error("exporter failure (test)");
    this.check(demandOf(items));
    this.#reserved += items.length;
    return holdOnce(
      () => this.#reserved -= items.length,
      () => this.items.push(...items.map((one) => one.item)),
    );
  }
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    events.push(`shutdown:${this.settings.id}`);
    this.stopped = true;
    if (this.config.shutdown_delay > 0) await this.#sleep(this.config.shutdown_delay);
    if (this.config.output) {
      const lines = this.items.map((item) => JSON.stringify({ labels: item.labels.toRecord() }));
      await Deno.writeTextFile(this.config.output, lines.map((l) => l + "\n").join(""), {
        append: true,
      });
    }
  }
}

/** Factory of {@linkcode TestExporter}, type `test.exporter`. */
export const testExporterFactory: ExporterFactory<typeof exporterSchema> = {
  type: "test.exporter",
  kind: "exporter",
  stability: "experimental",
  description: "Test exporter.",
  configSchema: exporterSchema,
  createDefaultConfig: () => ({}),
  create: (settings, config) => new TestExporter(settings, config),
};

/** The three test factories. */
export const testFactories = [testReceiverFactory, testProcessorFactory, testExporterFactory];

/** The `targets` status a `test.receiver` with a `target` publishes. */
export function testTarget(componentId: string, url: string): TargetStatus {
  return {
    component_id: componentId,
    job: componentId,
    url,
    profile_type: "",
    health: "up",
    last_error: "",
    last_scrape: null,
    last_scrape_duration_seconds: 0,
    labels: {},
    discovered_labels: {},
    delta_state_bytes: 0,
    missed_ticks: 0,
  };
}
