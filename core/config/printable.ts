/**
 * The effective config as `print-config` shows it: merged files, each component's defaults
 * filled in (in the form a user writes, e.g. `max_age: 24h`), secrets redacted.
 *
 * @module
 */

import type { z } from "zod";
import { redactValue } from "../redact.ts";
import { defaultServiceConfig } from "./service_schema.ts";
import { deepMerge } from "./source.ts";
import type { ValidatedConfig } from "./validate.ts";
import { fieldKind, formatField, unwrapSchema } from "./schema_walk.ts";

// deno-lint-ignore no-explicit-any
type AnySchema = any;

/**
 * A component's parsed config (every default filled in) in the form a user writes — durations
 * as `15s`, byte sizes as `64MiB` — or undefined when that form does not validate again. A
 * top-level setting whose parsed form is not plain data (e.g. compiled relabel rules) is taken
 * from `asWritten` (the config as written over the factory's default config).
 */
export function writtenConfig(schema: z.ZodType, parsed: unknown, asWritten?: unknown): unknown {
  const written = toWritten(schema, parsed);
  if (schema.safeParse(written).success) return written;
  if (!isRecord(written) || !isRecord(asWritten)) return undefined;
  for (const [key, value] of Object.entries(written)) {
    if (isPlainData(value)) continue;
    if (asWritten[key] === undefined) delete written[key];
    else written[key] = asWritten[key];
  }
  return schema.safeParse(written).success ? written : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Strings, finite numbers, booleans, null, and lists and plain maps of them. */
function isPlainData(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainData);
  if (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every(isPlainData);
  }
  return false;
}

function toWritten(schema: z.ZodType | undefined, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  const kind = fieldKind(schema);
  if (kind !== undefined && typeof value === "number") return formatField(kind, value);
  const def = (unwrapSchema(schema) as AnySchema)?._zod?.def;
  if (Array.isArray(value)) {
    return value.map((item) => toWritten(def?.type === "array" ? def.element : undefined, item));
  }
  if (typeof value !== "object") return value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    // Parsed-only fields (e.g. a module's resolved path) are not settings of a strict schema.
    if (def?.type === "object" && !(key in (def.shape ?? {}))) {
      if (def.catchall?._zod?.def?.type === "never") continue;
    }
    const inner = def?.type === "object"
      ? def.shape?.[key]
      : def?.type === "record"
      ? def.valueType
      : undefined;
    if (def?.type === "union") {
      out[key] = child;
      continue;
    }
    out[key] = toWritten(inner, child);
  }
  return def?.type === "union" ? unionWritten(def.options, value) : out;
}

function unionWritten(options: z.ZodType[], value: unknown): unknown {
  for (const option of options) {
    const written = toWritten(option, value);
    if (option.safeParse(written).success) return written;
  }
  return value;
}

/** A plain object ready to be printed as YAML; secrets are `<secret>`. */
export function printableConfig(config: ValidatedConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (
    const [section, components] of [
      ["receivers", config.receivers],
      ["processors", config.processors],
      ["exporters", config.exporters],
    ] as const
  ) {
    if (components.size === 0) continue;
    const entries: Record<string, unknown> = {};
    for (const [id, component] of components) {
      const asWritten = deepMerge(component.factory.createDefaultConfig(), component.raw);
      entries[id] = writtenConfig(component.factory.configSchema, component.config, asWritten) ??
        asWritten;
    }
    out[section] = entries;
  }
  const service = deepMerge(defaultServiceConfig(), config.source.value.service ?? {}) as Record<
    string,
    unknown
  >;
  const pipelines: Record<string, unknown> = {};
  for (const pipeline of config.pipelines) {
    pipelines[pipeline.name] = {
      receivers: pipeline.receivers,
      processors: pipeline.processors,
      exporters: pipeline.exporters,
    };
  }
  service.pipelines = pipelines;
  out.service = service;
  return redactValue(out) as Record<string, unknown>;
}
