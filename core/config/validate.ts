/**
 * Validates a merged config against the registered factories: top-level sections, each
 * component's zod schema (paths and lines in every message), the `service` section, and the
 * cross-checks between pipelines and components.
 *
 * @module
 */

import type { z } from "zod";
import type { ComponentKind, Factory } from "../component.ts";
import { parseComponentId } from "../component.ts";
import { registerConfigSecrets } from "../redact.ts";
import type { Registry } from "../registry.ts";
import { alloyHints } from "../alloy.ts";
import { closest, ConfigError, type ConfigIssue } from "./errors.ts";
import { describeZodIssue } from "./zod_issues.ts";
import { type PipelineConfig, type ServiceConfig, serviceSchema } from "./service_schema.ts";
import type { ConfigSource } from "./source.ts";

/** The sections of a config file, with the component kind each one holds. */
export const SECTIONS: Readonly<Record<string, ComponentKind>> = {
  receivers: "receiver",
  processors: "processor",
  exporters: "exporter",
};
const TOP_LEVEL = ["receivers", "processors", "exporters", "service"];

/** One validated component. */
export interface ComponentConfig {
  readonly id: string;
  readonly kind: ComponentKind;
  readonly factory: Factory;
  /** The validated config (zod output: defaults applied, durations in ms). */
  readonly config: unknown;
  /** The config as written (after expansion), `{}` when empty. Used to detect changes. */
  readonly raw: unknown;
}

/** A validated pipeline. */
export interface PipelineSpec extends PipelineConfig {
  readonly name: string;
}

/** A config ready to run. */
export interface ValidatedConfig {
  readonly source: ConfigSource;
  /** Components by id, for each kind. */
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly pipelines: readonly PipelineSpec[];
  readonly service: ServiceConfig;
  /** Problems that do not stop the config from running (e.g. unused components). */
  readonly warnings: readonly ConfigIssue[];
}

function article(word: string): string {
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

const ID_PATTERN = /^[A-Za-z0-9_.\-]+(\/[A-Za-z0-9_.\-]+)?$/;

/** Validates `value` with `schema`, prefixing paths with `prefix`; returns output or issues. */
export function validateWithSchema(
  schema: z.ZodType,
  value: unknown,
  prefix: readonly (string | number)[],
  source: ConfigSource,
): { ok: true; output: unknown } | { ok: false; issues: ConfigIssue[] } {
  let input = value;
  let result = schema.safeParse(input, { reportInput: true });
  // `${env:X}` holding digits became a number; give it back as text where text is wanted.
  for (let attempt = 0; attempt < 5 && !result.success; attempt++) {
    let changed = false;
    for (const issue of result.error.issues) {
      if (issue.code !== "invalid_type" || issue.expected !== "string") continue;
      const path = issue.path as (string | number)[];
      const text = source.coercedText([...prefix, ...path]);
      if (text === undefined) continue;
      input = setAt(input, path, text);
      changed = true;
    }
    if (!changed) break;
    result = schema.safeParse(input, { reportInput: true });
  }
  if (result.success) return { ok: true, output: result.data };
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) {
    for (const described of describeZodIssue(issue, schema, input)) {
      const path = [...prefix, ...described.path.map((p) => typeof p === "number" ? p : String(p))];
      issues.push({
        path,
        message: described.message,
        severity: "error",
        location: source.locate(path),
      });
    }
  }
  return { ok: false, issues };
}

function setAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = value.slice();
    copy[head as number] = setAt(copy[head as number], rest, replacement);
    return copy;
  }
  const record = { ...(value as Record<string, unknown>) };
  record[head as string] = setAt(record[head as string], rest, replacement);
  return record;
}

function validateSection(
  section: string,
  kind: ComponentKind,
  value: unknown,
  registry: Registry,
  source: ConfigSource,
  issues: ConfigIssue[],
): Map<string, ComponentConfig> {
  const out = new Map<string, ComponentConfig>();
  if (value === undefined || value === null) return out;
  const error = (path: (string | number)[], message: string) =>
    issues.push({ path, message, severity: "error", location: source.locate(path) });
  if (typeof value !== "object" || Array.isArray(value)) {
    error(
      [section],
      `Expected a map of ${section} by id, got ${Array.isArray(value) ? "a list" : typeof value}`,
    );
    return out;
  }
  const known = registry.list(kind).map((factory) => factory.type);
  for (const [id, raw] of Object.entries(value as Record<string, unknown>)) {
    const path = [section, id];
    if (!ID_PATTERN.test(id)) {
      error(path, `Invalid component id "${id}": expected "type" or "type/name"`);
      continue;
    }
    const { type } = parseComponentId(id);
    const factory = registry.get(type);
    if (factory && factory.kind !== kind) {
      error(path, `"${type}" is ${article(factory.kind)}; move it under ${factory.kind}s`);
      continue;
    }
    if (!factory) {
      const alloy = alloyHints(registry.list())[type];
      const hint = alloy ? undefined : closest(type, known);
      error(
        path,
        `Unknown ${kind} type "${type}"` +
          (alloy ? `: ${alloy}` : hint ? `; did you mean "${hint}"?` : "") +
          (alloy ? "" : `; known ${kind}s: ${known.length > 0 ? known.join(", ") : "(none)"}`),
      );
      continue;
    }
    const input = raw ?? {};
    const result = validateWithSchema(factory.configSchema, input, path, source);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    out.set(id, { id, kind, factory, config: result.output, raw: input });
  }
  return out;
}

/**
 * Validates a merged config. Throws {@linkcode ConfigError} listing every error; returns the
 * runnable config with warnings (e.g. a component no pipeline uses).
 */
export function validateConfig(source: ConfigSource, registry: Registry): ValidatedConfig {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const root = source.value;
  // Before anything can log or show a value of this config.
  registerConfigSecrets(root);
  for (const key of Object.keys(root)) {
    if (TOP_LEVEL.includes(key)) continue;
    const hint = closest(key, TOP_LEVEL);
    issues.push({
      path: [key],
      severity: "error",
      message: `Unknown section "${key}"` +
        (hint ? `; did you mean "${hint}"?` : `; valid sections: ${TOP_LEVEL.join(", ")}`),
      location: source.locate([key]),
    });
  }
  const sections = Object.fromEntries(
    Object.entries(SECTIONS).map((
      [section, kind],
    ) => [section, validateSection(section, kind, root[section], registry, source, issues)]),
  ) as Record<"receivers" | "processors" | "exporters", Map<string, ComponentConfig>>;

  const serviceResult = validateWithSchema(serviceSchema, root.service ?? {}, ["service"], source);
  let service: ServiceConfig | undefined;
  if (serviceResult.ok) service = serviceResult.output as ServiceConfig;
  else issues.push(...serviceResult.issues);

  const pipelines: PipelineSpec[] = [];
  if (service) {
    const declared = root.service as Record<string, unknown> | undefined;
    const rawSections = root as Record<string, Record<string, unknown> | undefined>;
    const used = new Set<string>();
    const names = Object.keys(service.pipelines);
    if (names.length === 0) {
      issues.push({
        path: declared?.pipelines === undefined ? ["service"] : ["service", "pipelines"],
        severity: "error",
        message: "At least one pipeline is required under service::pipelines",
        location: source.locate(["service", "pipelines"]),
      });
    }
    for (const name of names) {
      const pipeline = service.pipelines[name]!;
      const base = ["service", "pipelines", name];
      for (
        const [list, section] of [
          ["receivers", "receivers"],
          ["processors", "processors"],
          ["exporters", "exporters"],
        ] as const
      ) {
        const ids = pipeline[list];
        const seen = new Set<string>();
        ids.forEach((id, index) => {
          const path = [...base, list, index];
          const at = source.locate(path);
          if (seen.has(id)) {
            issues.push({
              path,
              severity: "error",
              message: `"${id}" is listed twice`,
              location: at,
            });
          }
          seen.add(id);
          used.add(`${section}\0${id}`);
          if (sections[section].has(id)) return;
          // Defined but invalid: its own error is already reported.
          if (rawSections[section] && id in rawSections[section]!) return;
          const candidates = Object.keys(rawSections[section] ?? {});
          const hint = closest(id, candidates);
          issues.push({
            path,
            severity: "error",
            message: `"${id}" is not defined under ${section}` +
              (hint ? `; did you mean "${hint}"?` : ""),
            location: at,
          });
        });
      }
      for (const list of ["receivers", "exporters"] as const) {
        if (pipeline[list].length === 0) {
          issues.push({
            path: base,
            severity: "error",
            message: `Pipeline "${name}" needs at least one ${list.slice(0, -1)}`,
            location: source.locate(base),
          });
        }
      }
      pipelines.push({ name, ...pipeline });
    }
    for (const section of Object.keys(SECTIONS) as (keyof typeof sections)[]) {
      for (const id of sections[section].keys()) {
        if (used.has(`${section}\0${id}`)) continue;
        warnings.push({
          path: [section, id],
          severity: "warning",
          message: "defined but not used by any pipeline; it will not run",
          location: source.locate([section, id]),
        });
      }
    }
  }
  // A reference that could not be expanded left an empty text behind: the schema's complaint
  // about that value (e.g. "expected a URL") would only repeat the expansion error.
  const expansion = source.expansionIssues;
  const consequential = (issue: ConfigIssue) =>
    expansion.some((cause) => startsWithPath(issue.path, cause.path));
  const all = [...expansion, ...issues.filter((issue) => !consequential(issue))];
  if (all.length > 0 || !service) throw new ConfigError(all);
  return {
    source,
    receivers: sections.receivers,
    processors: sections.processors,
    exporters: sections.exporters,
    pipelines,
    service,
    warnings,
  };
}

function startsWithPath(
  path: readonly (string | number)[],
  prefix: readonly (string | number)[],
): boolean {
  return prefix.length <= path.length && prefix.every((key, index) => path[index] === key);
}
