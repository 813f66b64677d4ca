/**
 * The effective config as `print-config` shows it: merged files, each component's defaults
 * filled in (in the form a user writes, e.g. `max_age: 24h`), secrets redacted.
 *
 * @module
 */

import { redactSecrets } from "./redact.ts";
import { defaultServiceConfig } from "./service_schema.ts";
import { deepMerge } from "./source.ts";
import type { ValidatedConfig } from "./validate.ts";

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
      entries[id] = deepMerge(component.factory.createDefaultConfig(), component.raw);
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
  return redactSecrets(out) as Record<string, unknown>;
}
