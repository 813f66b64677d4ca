/**
 * The conformance suite every component's tests run (Hono's shared-tests idea): the default
 * config validates; create → start → shutdown works; shutdown is safe twice and without start.
 * Deno's test sanitizers (on by default) fail a case that leaks timers, ops or sockets.
 *
 * @example
 * Not run as a doc test: it registers `Deno.test` cases, which cannot nest in a doc test.
 *
 * ```ts ignore
 * // exporters/file/file_exporter_test.ts
 * import { componentConformance } from "../../core/testing/conformance.ts";
 * import { fileExporterFactory } from "./mod.ts";
 * componentConformance(fileExporterFactory, { config: { directory: Deno.makeTempDirSync() } });
 * ```
 * @module
 */

import type { ComponentSettings, Consumer, Factory, Lifecycle } from "../component.ts";
import type { Item } from "../items.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { MetricsRegistry } from "../telemetry/metrics.ts";

/** Settings for a component under test, with a silent logger and a fresh registry. */
export function testSettings(
  id: string,
  overrides: Partial<ComponentSettings> = {},
): ComponentSettings {
  return {
    id,
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
    host: { registerStatus: () => () => {} },
    version: "0.0.0-test",
    ...overrides,
  };
}

/** A consumer that records what it receives, request by request, and always has room. */
export class RecordingConsumer implements Consumer {
  readonly items: Item[] = [];
  readonly requests: (readonly Item[])[] = [];
  consume(items: readonly Item[]): Promise<void> {
    this.requests.push(items);
    for (const item of items) this.items.push(item);
    return Promise.resolve();
  }
  check(): void {}
}

/** Options of {@linkcode componentConformance}. */
export interface ConformanceOptions {
  /**
   * Config overrides (input form) merged over the default for the lifecycle cases, e.g. a
   * temporary directory or port 0. The default config alone must still validate.
   */
  config?: Record<string, unknown>;
  /** Extra cleanup after each case (e.g. removing a temp dir). */
  cleanup?: () => void | Promise<void>;
}

/** Creates a component of any kind from `factory` with a validated config. */
export function createForTest(
  factory: Factory,
  config: unknown,
  settings: ComponentSettings = testSettings(factory.type),
  next: Consumer = new RecordingConsumer(),
): Lifecycle {
  const parsed = factory.configSchema.parse(config);
  switch (factory.kind) {
    case "receiver":
      return factory.create(settings, parsed, next);
    case "processor":
      return factory.create(settings, parsed);
    case "exporter":
      return factory.create(settings, parsed);
  }
}

/** Registers the shared conformance cases for `factory` with `Deno.test`. */
export function componentConformance(factory: Factory, options: ConformanceOptions = {}): void {
  const name = `${factory.type} conformance`;
  const config = () => ({ ...(factory.createDefaultConfig() as object), ...options.config });

  Deno.test(`${name}: default config validates and is fresh each call`, () => {
    const first = factory.createDefaultConfig();
    const result = factory.configSchema.safeParse(first);
    if (!result.success) {
      throw new Error(`default config of ${factory.type} is invalid: ${result.error.message}`);
    }
    if (first !== null && typeof first === "object" && first === factory.createDefaultConfig()) {
      throw new Error("createDefaultConfig must return a fresh object each call");
    }
  });

  Deno.test(`${name}: unknown keys are rejected`, () => {
    const result = factory.configSchema.safeParse({ ...config(), no_such_setting_xyz: 1 });
    if (result.success) throw new Error(`${factory.type} accepted an unknown key`);
  });

  Deno.test(`${name}: create, start, shutdown, shutdown again`, async () => {
    try {
      const component = createForTest(factory, config());
      await component.start();
      await component.shutdown();
      await component.shutdown();
    } finally {
      await options.cleanup?.();
    }
  });

  Deno.test(`${name}: shutdown without start`, async () => {
    try {
      const component = createForTest(factory, config());
      await component.shutdown();
      await component.shutdown();
    } finally {
      await options.cleanup?.();
    }
  });
}
