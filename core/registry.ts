/**
 * The registry of component factories. Rejects duplicate types; looks factories up by the
 * type part of a component id.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const registry = new Registry([]);
 * registry.list().length; // 0
 * ```
 * @module
 */

import { type ComponentKind, type Factory, parseComponentId } from "./component.ts";

/** Factories by type. */
export class Registry {
  readonly #factories = new Map<string, Factory>();

  constructor(factories: Iterable<Factory>) {
    for (const factory of factories) this.register(factory);
  }

  /** Adds a factory; throws when its type is already registered. */
  register(factory: Factory): void {
    if (this.#factories.has(factory.type)) {
      throw new Error(`Component type "${factory.type}" is registered twice`);
    }
    this.#factories.set(factory.type, factory);
  }

  /** The factory for a component id such as `pyroscope.write/a`, or undefined. */
  forId(id: string): Factory | undefined {
    return this.#factories.get(parseComponentId(id).type);
  }

  /** The factory of `type`, or undefined. */
  get(type: string): Factory | undefined {
    return this.#factories.get(type);
  }

  /** Every factory, optionally of one kind, sorted by kind then type. */
  list(kind?: ComponentKind): Factory[] {
    const order: Record<ComponentKind, number> = { receiver: 0, processor: 1, exporter: 2 };
    return [...this.#factories.values()]
      .filter((factory) => kind === undefined || factory.kind === kind)
      .sort((a, b) => order[a.kind] - order[b.kind] || (a.type < b.type ? -1 : 1));
  }
}
