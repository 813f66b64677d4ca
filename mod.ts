/**
 * profcol's public API for custom processor authors.
 *
 * A custom processor is a module whose default export (or export named `processor`) is a
 * factory made with {@linkcode defineProcessor}. Run it with `deno run` through the `module`
 * processor (`processors: { module/redact: { path: ./redact.ts, config: {...} } }`), or compile
 * it into a binary with `main.ts build --manifest builder.yaml`, where it becomes a component
 * type of its own.
 *
 * Items are immutable: return a new item (`withLabels(item, labels)`) or `null` to drop it.
 * Profile bytes are shared and must never be mutated. A processor that throws gets that item
 * counted as dropped with reason `processor_error`; the collector keeps running.
 *
 * @example A processor that adds a label
 * ```ts
 * import { defineProcessor, LabelSet, withLabels, z } from "./mod.ts";
 *
 * export default defineProcessor({
 *   type: "add_team",
 *   configSchema: z.strictObject({ team: z.string().default("platform") }),
 *   create: (_settings, config) => (item) =>
 *     withLabels(item, item.labels.with("team", config.team)),
 * });
 * ```
 *
 * @example Using the factory directly (as the collector does)
 * ```ts
 * import { defineProcessor, LabelSet, withLabels, z, type PushItem } from "./mod.ts";
 * import { testSettings } from "./core/testing/conformance.ts";
 *
 * const factory = defineProcessor({
 *   type: "add_team",
 *   configSchema: z.strictObject({ team: z.string().default("platform") }),
 *   create: (_settings, config) => (item) => withLabels(item, item.labels.with("team", config.team)),
 * });
 * const processor = factory.create(testSettings("add_team"), factory.configSchema.parse({}));
 * const item: PushItem = { kind: "push", labels: LabelSet.from({ service_name: "api" }), samples: [] };
 * const out = await processor.process(item);
 * if (out?.labels.get("team") !== "platform") throw new Error("label not added");
 * ```
 *
 * @example Relabeling with Prometheus rules
 * ```ts
 * import { applyRelabelRules } from "./mod.ts";
 *
 * const out = applyRelabelRules({ env: "prod", pod: "api-7d9f" }, [
 *   { source_labels: ["pod"], regex: "(.*)-[a-z0-9]+", target_label: "app" },
 * ]);
 * if (out?.app !== "api") throw new Error("unexpected");
 * if (applyRelabelRules({ env: "dev" }, [{ source_labels: ["env"], regex: "dev", action: "drop" }]) !== null) {
 *   throw new Error("expected a drop");
 * }
 * ```
 * @module
 */

import { z } from "zod";
import type {
  ComponentSettings,
  Processor,
  ProcessorFactory,
  Stability,
} from "./core/component.ts";
import type { Item } from "./core/items.ts";
import { LabelSet } from "./core/labels.ts";
import { compileRelabelRules, relabel } from "./core/relabel/mod.ts";

export { z };
export { isInternalLabel, type LabelRecord, LabelSet } from "./core/labels.ts";
export {
  type IngestItem,
  type Item,
  itemBytes,
  itemProfiles,
  type PushItem,
  type RawSample,
  withLabels,
} from "./core/items.ts";
export type {
  ComponentSettings,
  Processor,
  ProcessorFactory,
  Stability,
} from "./core/component.ts";
export type { Logger } from "./core/telemetry/logger.ts";
export type { MetricsRegistry } from "./core/telemetry/metrics.ts";
export { compileRelabelRules, relabel, type RelabelRule } from "./core/relabel/mod.ts";

/** Marks factories made by {@linkcode defineProcessor} (shared across copies of this module). */
export const PROCESSOR_BRAND: unique symbol = Symbol.for("profcol.defineProcessor") as never;

/** A processing function: the short form of a processor with nothing to start or stop. */
export type ProcessFunction = (item: Item) => Item | null | Promise<Item | null>;

/** What {@linkcode defineProcessor} takes. */
export interface ProcessorDefinition<Schema extends z.ZodType> {
  /** The component type, e.g. `redact`: lowercase letters, digits, `_` and `.`. */
  type: string;
  /** Validates the config and fills defaults; use `z.strictObject` so typos are errors. */
  configSchema: Schema;
  /** Builds the processor: a {@linkcode Processor}, or just a function for the simple case. */
  create(settings: ComponentSettings, config: z.output<Schema>): Processor | ProcessFunction;
  /** Shown by `main.ts components`; default `experimental`. */
  stability?: Stability;
  /** One line shown by `main.ts components`. */
  description?: string;
  /** The default config as a user would write it; default `{}`. */
  createDefaultConfig?: () => z.input<Schema>;
}

/** A factory made by {@linkcode defineProcessor}. */
export type DefinedProcessorFactory<Schema extends z.ZodType> = ProcessorFactory<Schema> & {
  readonly [PROCESSOR_BRAND]: true;
};

const TYPE_PATTERN = /^[a-z][a-z0-9_.]*$/;

function toProcessor(created: Processor | ProcessFunction, type: string): Processor {
  if (typeof created === "function") {
    return {
      process: created,
      start: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }
  if (
    created === null || typeof created !== "object" || typeof created.process !== "function"
  ) {
    throw new TypeError(`processor "${type}": create() must return a function or a Processor`);
  }
  return {
    process: (item) => created.process(item),
    start: () => created.start?.() ?? Promise.resolve(),
    shutdown: () => created.shutdown?.() ?? Promise.resolve(),
  };
}

/**
 * Makes a processor factory from a type, a zod config schema and a `create` function. The
 * result plugs into the registry exactly like built-in processors.
 */
export function defineProcessor<Schema extends z.ZodType>(
  definition: ProcessorDefinition<Schema>,
): DefinedProcessorFactory<Schema> {
  const { type, configSchema } = definition;
  if (typeof type !== "string" || !TYPE_PATTERN.test(type)) {
    throw new TypeError(
      `defineProcessor: type must match ${TYPE_PATTERN.source} (e.g. "redact"), got ${
        JSON.stringify(type)
      }`,
    );
  }
  if (type === "module") throw new TypeError('defineProcessor: type "module" is reserved');
  if (!configSchema || typeof (configSchema as z.ZodType).safeParse !== "function") {
    throw new TypeError(`defineProcessor "${type}": configSchema must be a zod schema`);
  }
  if (typeof definition.create !== "function") {
    throw new TypeError(`defineProcessor "${type}": create must be a function`);
  }
  return {
    [PROCESSOR_BRAND]: true,
    type,
    kind: "processor",
    stability: definition.stability ?? "experimental",
    description: definition.description ?? `Custom processor ${type}`,
    configSchema,
    createDefaultConfig: definition.createDefaultConfig ??
      (() => ({}) as z.input<Schema>),
    create: (settings, config) => toProcessor(definition.create(settings, config), type),
  };
}

/** Whether `value` is a factory made by {@linkcode defineProcessor}. */
export function isDefinedProcessor(value: unknown): value is DefinedProcessorFactory<z.ZodType> {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[PROCESSOR_BRAND] === true;
}

/**
 * Runs Prometheus relabel rules, given in YAML form (snake_case keys: `source_labels`,
 * `separator`, `regex`, `modulus`, `target_label`, `replacement`, `action`; defaults applied),
 * over `labels`. Returns the resulting labels, or `null` when the set is dropped (by a rule,
 * or because no label is left). Invalid rules throw an Error naming the rule index and field.
 * Compile once with {@linkcode compileRelabelRules} and call {@linkcode relabel} on hot paths.
 */
export function applyRelabelRules(
  labels: Record<string, string>,
  rules: Record<string, unknown>[],
): Record<string, string> | null {
  const result = relabel(LabelSet.from(labels), compileRelabelRules(rules));
  return result === null ? null : result.toRecord();
}
