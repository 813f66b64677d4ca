/**
 * The Grafana Alloy mapping a component owns, next to its factory: what Alloy component it
 * replaces, the hint `validate` gives when someone writes Alloy's name as a type, and how one
 * Alloy block becomes its config. `profcol convert --from=alloy` (`cli/convert/`) reads every
 * registered factory's mapping; it knows no component by name.
 *
 * @example
 * ```ts
 * import type { AlloyMapping } from "./alloy.ts";
 * export const relabelAlloy: AlloyMapping = {
 *   type: "pyroscope.relabel",
 *   convert: (block) => block.body(),
 * };
 * ```
 *
 * @module
 */

/** One Alloy block being converted, as a component's mapping sees it. */
export interface AlloyBlock {
  /** `pyroscope.scrape "app"`, for messages. */
  readonly name: string;
  /**
   * The block's attributes and nested blocks as profcol config, except the `skip` names and
   * `forward_to` (which the converter turns into pipelines). `sys.env("X")` is `${env:X}`.
   */
  body(skip?: readonly string[]): Record<string, unknown>;
  /** A nested unlabelled block's body, or undefined when the block has none. */
  block(name: string): Record<string, unknown> | undefined;
  /**
   * Where the `targets` attribute leads: static targets and the `kubernetes_sd_configs`,
   * `file_sd_configs`, `http_sd_configs` and `relabel_configs` of the discovery components it
   * passes through (only the non-empty lists); undefined when there is no `targets`.
   */
  targets(): Record<string, unknown[]> | undefined;
  /** A warning at the block's (or the named nested block's or attribute's) file and line. */
  warn(message: string, nested?: string): void;
}

/** How a component maps from Alloy. */
export interface AlloyMapping {
  /** Alloy's component type that this component replaces, e.g. `pyroscope.relabel`. */
  readonly type: string;
  /**
   * Other Alloy components this component absorbs, with the hint `validate` gives when they are
   * written as a type (e.g. `discovery.kubernetes` → `kubernetes_sd_configs` of a scrape).
   */
  readonly absorbs?: Readonly<Record<string, string>>;
  /** The component's config from one Alloy block. */
  convert(block: AlloyBlock): Record<string, unknown>;
}

/** Alloy components that no profcol component replaces, with what to do instead. */
export const UNSUPPORTED_ALLOY: Readonly<Record<string, string>> = {
  "pyroscope.ebpf": "Alloy's pyroscope.ebpf is not supported; profcol scrapes (pyroscope.scrape) " +
    "and receives pushes (pyroscope.receive_http)",
  "pyroscope.java": "Alloy's pyroscope.java is not supported; profcol scrapes (pyroscope.scrape) " +
    "and receives pushes (pyroscope.receive_http)",
};

/** What `alloyHints` needs of a factory. */
interface MappedFactory {
  readonly type: string;
  readonly kind: string;
  readonly alloy?: AlloyMapping;
}

/**
 * Alloy type → hint for every Alloy name that is not a profcol type: the components whose Alloy
 * name differs (`pyroscope.relabel` is the `relabel` processor), what they absorb, and
 * {@linkcode UNSUPPORTED_ALLOY}.
 */
export function alloyHints(factories: Iterable<MappedFactory>): Record<string, string> {
  const hints: Record<string, string> = { ...UNSUPPORTED_ALLOY };
  for (const factory of factories) {
    const alloy = factory.alloy;
    if (!alloy) continue;
    if (alloy.type !== factory.type) {
      hints[alloy.type] = `Alloy's ${alloy.type} is the "${factory.type}" ${factory.kind} here`;
    }
    Object.assign(hints, alloy.absorbs ?? {});
  }
  return hints;
}
