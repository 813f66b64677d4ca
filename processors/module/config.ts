/**
 * Config of the `module` processor: `path` to a user module and `config` for it, validated by
 * the module's own `configSchema` (at config load when the module was preloaded, otherwise
 * when the processor starts; see `loader.ts`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { ProcessorFactory } from "../../core/component.ts";
import { describeZodIssue } from "../../core/config/zod_issues.ts";
import { preloadedModule, resolveModulePath } from "./loader.ts";

/** The parsed config. */
export interface ModuleProcessorConfig {
  /** The path as written. */
  readonly path: string;
  /** The absolute path the module is loaded from. */
  readonly resolvedPath: string;
  /** The module's factory when it was preloaded; otherwise it is loaded in `start()`. */
  readonly factory: ProcessorFactory | undefined;
  /** The module's config: parsed by its schema when preloaded, as written otherwise. */
  readonly config: unknown;
}

/** The config as written in YAML. */
export interface ModuleProcessorConfigInput {
  path: string;
  config?: Record<string, unknown> | null;
}

/** Schema of the `module` processor's config (unknown keys are errors). */
export const moduleProcessorConfigSchema: z.ZodType<
  ModuleProcessorConfig,
  ModuleProcessorConfigInput
> = z.strictObject({
  path: z.string({ error: "path must be the path of a processor module (.ts or .js)" })
    .min(1, "path must not be empty"),
  config: z.record(z.string(), z.unknown(), { error: "config must be a map" }).nullable()
    .optional(),
}).transform((raw, ctx): ModuleProcessorConfig => {
  const written = raw.config ?? {};
  const entry = preloadedModule(raw.path);
  if (entry === undefined) {
    const resolvedPath = resolveModulePath(raw.path);
    try {
      if (!Deno.statSync(resolvedPath).isFile) throw new Error("not a file");
    } catch {
      ctx.addIssue({
        code: "custom",
        path: ["path"],
        message: `module file "${raw.path}" not found (looked at ${resolvedPath})`,
      });
      return z.NEVER;
    }
    return { path: raw.path, resolvedPath, factory: undefined, config: written };
  }
  if (!entry.ok) {
    ctx.addIssue({ code: "custom", path: ["path"], message: entry.error });
    return z.NEVER;
  }
  const parsed = entry.factory.configSchema.safeParse(written);
  if (!parsed.success) {
    // Worded like a built-in component's errors (same helper); validation adds path and line.
    for (const issue of parsed.error.issues) {
      for (const described of describeZodIssue(issue, entry.factory.configSchema, written)) {
        ctx.addIssue({
          code: "custom",
          path: ["config", ...described.path],
          message: described.message,
        });
      }
    }
    return z.NEVER;
  }
  return {
    path: raw.path,
    resolvedPath: entry.resolvedPath,
    factory: entry.factory,
    config: parsed.data,
  };
}) as unknown as z.ZodType<ModuleProcessorConfig, ModuleProcessorConfigInput>;

/** Default config: the built-in pass-through module (a bare `module` entry is then harmless). */
export function createDefaultModuleConfig(): ModuleProcessorConfigInput {
  return { path: fileURLToPath(new URL("./passthrough.ts", import.meta.url)), config: {} };
}
