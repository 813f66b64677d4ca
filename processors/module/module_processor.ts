/**
 * The `module` processor: runs a user module's processor inside the pipeline with the same
 * lifecycle as built-ins. Errors thrown by the module's `process` are not caught here: the
 * pipeline counts the item as dropped with reason `processor_error` and goes on, exactly as
 * for built-in processors. A result that is not an item (or null) is turned into such an
 * error too.
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import { describeZodIssue } from "../../core/config/zod_issues.ts";
import type { Item } from "../../core/items.ts";
import type { ModuleProcessorConfig } from "./config.ts";
import { loadModuleFactory } from "./loader.ts";

/** Runs a user module; see the module doc. */
export class ModuleProcessor implements Processor {
  readonly #settings: ComponentSettings;
  readonly #config: ModuleProcessorConfig;
  #inner: Processor | undefined;
  #shutdown = false;

  constructor(settings: ComponentSettings, config: ModuleProcessorConfig) {
    this.#settings = settings;
    this.#config = config;
    if (config.factory) this.#inner = config.factory.create(settings, config.config);
  }

  async start(): Promise<void> {
    if (this.#inner === undefined) {
      const { id } = this.#settings;
      const factory = await loadModuleFactory(this.#config.resolvedPath);
      const parsed = factory.configSchema.safeParse(this.#config.config);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const [described] = describeZodIssue(issue, factory.configSchema, this.#config.config);
        const where = ["config", ...(described?.path ?? issue.path.map(String))].join("::");
        throw new Error(`processors::${id}::${where}: ${described?.message ?? issue.message}`);
      }
      this.#inner = factory.create(this.#settings, parsed.data);
    }
    await this.#inner.start();
  }

  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    await this.#inner?.shutdown();
  }

  process(item: Item): Item | null | Promise<Item | null> {
    const inner = this.#inner;
    if (inner === undefined) {
      throw new Error(`${this.#settings.id}: the module is not loaded (start() was not called)`);
    }
    const result = inner.process(item);
    if (result instanceof Promise) return result.then((value) => this.#check(value));
    return this.#check(result);
  }

  #check(result: Item | null): Item | null {
    if (result === null) return null;
    if (
      typeof result !== "object" || (result.kind !== "push" && result.kind !== "ingest") ||
      typeof result.labels?.key !== "function"
    ) {
      throw new TypeError(
        `${this.#settings.id}: process() must return an item or null, got ${
          result === undefined ? "undefined" : typeof result
        }`,
      );
    }
    return result;
  }
}
