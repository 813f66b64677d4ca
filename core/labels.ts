/**
 * An immutable, sorted, duplicate-free set of labels — the one label type used everywhere.
 *
 * Names are ordered by UTF-16 code unit, which equals byte order for the ASCII label names
 * Prometheus and Pyroscope allow (`__delta__` < `__name__` < `instance` < `service_name`).
 * Setting a label to `""` deletes it, as a Prometheus `labels.Builder` does.
 *
 * @example
 * ```ts
 * import { LabelSet } from "./labels.ts";
 * const labels = LabelSet.from({ service_name: "api", __name__: "process_cpu" });
 * labels.get("service_name"); // "api"
 * labels.with("env", "prod").toString(); // '{__name__="process_cpu", env="prod", service_name="api"}'
 * labels.with("service_name", "").has("service_name"); // false
 * ```
 * @module
 */

import { equalityState } from "./equality.ts";

/** A plain object view of labels, as used in configs and the public relabel API. */
export type LabelRecord = Record<string, string>;

const EMPTY_NAMES: readonly string[] = Object.freeze([]);

/** Immutable sorted label set. Construct with {@linkcode LabelSet.from}. */
export class LabelSet {
  /** The empty label set. */
  static readonly EMPTY: LabelSet = new LabelSet(EMPTY_NAMES, EMPTY_NAMES);

  readonly #names: readonly string[];
  readonly #values: readonly string[];
  #key: string | undefined;

  private constructor(names: readonly string[], values: readonly string[]) {
    this.#names = names;
    this.#values = values;
  }

  /**
   * Builds a set from a record or from name/value pairs. A later pair with the same name wins;
   * empty values are left out.
   */
  static from(source: LabelRecord | Iterable<readonly [string, string]>): LabelSet {
    const pairs: [string, string][] = [];
    const iterable: Iterable<readonly [string, string]> = isIterable(source)
      ? source
      : Object.entries(source);
    for (const [name, value] of iterable) pairs.push([name, value]);
    return LabelSet.#fromPairs(pairs);
  }

  /**
   * Builds a set from parallel arrays that are already sorted by name and free of duplicates
   * and empty values. The caller guarantees the invariant; used on hot paths (decoders).
   */
  static fromSortedUnchecked(names: readonly string[], values: readonly string[]): LabelSet {
    return names.length === 0 ? LabelSet.EMPTY : new LabelSet(names, values);
  }

  static #fromPairs(pairs: [string, string][]): LabelSet {
    if (pairs.length === 0) return LabelSet.EMPTY;
    // Stable sort keeps input order among equal names, so the last occurrence wins below.
    pairs.sort((a, b) => compareNames(a[0], b[0]));
    const names: string[] = [];
    const values: string[] = [];
    for (const [name, value] of pairs) {
      const last = names.length - 1;
      if (last >= 0 && names[last] === name) {
        values[last] = value;
      } else {
        names.push(name);
        values.push(value);
      }
    }
    let write = 0;
    for (let read = 0; read < names.length; read++) {
      if (values[read] === "") continue;
      names[write] = names[read]!;
      values[write] = values[read]!;
      write++;
    }
    names.length = write;
    values.length = write;
    return write === 0 ? LabelSet.EMPTY : new LabelSet(names, values);
  }

  /** Number of labels. */
  get size(): number {
    return this.#names.length;
  }

  /** Label names in sorted order. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** Label values, parallel to {@linkcode LabelSet.names}. */
  get values(): readonly string[] {
    return this.#values;
  }

  /** The value of `name`, or `undefined` when absent. */
  get(name: string): string | undefined {
    const index = this.#indexOf(name);
    return index < 0 ? undefined : this.#values[index];
  }

  /** Whether `name` is present (present labels always have a non-empty value). */
  has(name: string): boolean {
    return this.#indexOf(name) >= 0;
  }

  /** A copy with `name` set to `value`; an empty `value` deletes the label. */
  with(name: string, value: string): LabelSet {
    const index = this.#indexOf(name);
    if (value === "") return index < 0 ? this : this.#removeAt(index);
    if (index >= 0) {
      if (this.#values[index] === value) return this;
      const values = this.#values.slice();
      values[index] = value;
      return new LabelSet(this.#names, values);
    }
    const insertAt = -index - 1;
    const names = this.#names.slice();
    const values = this.#values.slice();
    names.splice(insertAt, 0, name);
    values.splice(insertAt, 0, value);
    return new LabelSet(names, values);
  }

  /** A copy without `name`. */
  without(name: string): LabelSet {
    const index = this.#indexOf(name);
    return index < 0 ? this : this.#removeAt(index);
  }

  /** A copy with every label of `other` applied on top (override; empty values delete). */
  merge(other: LabelSet | LabelRecord): LabelSet {
    const entries = other instanceof LabelSet ? other.entries() : Object.entries(other);
    let result: LabelSet | undefined;
    for (const [name, value] of entries) result = (result ?? this).with(name, value);
    return result ?? this;
  }

  /** A copy keeping only the labels for which `keep` returns true. */
  filter(keep: (name: string, value: string) => boolean): LabelSet {
    const names: string[] = [];
    const values: string[] = [];
    for (let i = 0; i < this.#names.length; i++) {
      const name = this.#names[i]!;
      const value = this.#values[i]!;
      if (keep(name, value)) {
        names.push(name);
        values.push(value);
      }
    }
    if (names.length === this.#names.length) return this;
    return LabelSet.fromSortedUnchecked(names, values);
  }

  /** Iterates `[name, value]` pairs in sorted order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A plain object copy. */
  toRecord(): LabelRecord {
    const record: LabelRecord = {};
    for (let i = 0; i < this.#names.length; i++) record[this.#names[i]!] = this.#values[i]!;
    return record;
  }

  /**
   * A string that identifies the set exactly (names and values joined with separators that
   * cannot occur in valid UTF-8 text), for use as a cache or map key. Computed once.
   */
  key(): string {
    if (this.#key === undefined) {
      let key = "";
      for (let i = 0; i < this.#names.length; i++) {
        key += this.#names[i] + "\xff" + this.#values[i] + "\xfe";
      }
      this.#key = key;
    }
    return this.#key;
  }

  /** Whether both sets hold exactly the same labels. */
  equals(other: LabelSet): boolean {
    if (other === this) return true;
    if (other.size !== this.size) return false;
    for (let i = 0; i < this.#names.length; i++) {
      if (this.#names[i] !== other.#names[i] || this.#values[i] !== other.#values[i]) return false;
    }
    return true;
  }

  /** Prometheus text form: `{a="1", b="2"}`. */
  toString(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.#names.length; i++) {
      parts.push(`${this.#names[i]}=${JSON.stringify(this.#values[i])}`);
    }
    return `{${parts.join(", ")}}`;
  }

  toJSON(): LabelRecord {
    return this.toRecord();
  }

  /** The comparable state for structural equality: the `[name, value]` pairs in order. */
  [equalityState](): [string, string][] {
    return [...this.entries()];
  }

  /** `Deno.inspect` / console output: `LabelSet {a="1", b="2"}`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `LabelSet ${this.toString()}`;
  }

  /** Binary search: the index of `name`, or `-(insertion point) - 1` when absent. */
  #indexOf(name: string): number {
    let low = 0;
    let high = this.#names.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const current = this.#names[mid]!;
      if (current < name) low = mid + 1;
      else if (current > name) high = mid - 1;
      else return mid;
    }
    return -low - 1;
  }

  #removeAt(index: number): LabelSet {
    if (this.#names.length === 1) return LabelSet.EMPTY;
    const names = this.#names.slice();
    const values = this.#values.slice();
    names.splice(index, 1);
    values.splice(index, 1);
    return new LabelSet(names, values);
  }
}

/** Orders label names as Prometheus does (code unit order; byte order for ASCII names). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `name` is internal (starts with `__`). */
export function isInternalLabel(name: string): boolean {
  return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95;
}

function isIterable(
  value: LabelRecord | Iterable<readonly [string, string]>,
): value is Iterable<readonly [string, string]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}
