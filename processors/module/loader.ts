/**
 * Loading user processor modules by path. A module's default export (or its export named
 * `processor`) must be a factory made with `defineProcessor` from profcol's `mod.ts`.
 *
 * Config validation in profcol is synchronous, but importing a module is not. So there are two
 * ways a `module/<name>` processor gets its factory:
 *
 * 1. **Preloaded** (full validation at config load): the config loader awaits
 *    {@linkcode preloadModules} on the expanded config document before validating. The
 *    `module` schema then finds the factory and validates `config` with the module's own
 *    schema, so `validate` reports module config errors with their paths.
 * 2. **At start** (no loader support needed): the schema checks that the file exists; the
 *    processor imports the module and validates its config in `start()`, which fails with a
 *    message naming the component.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ProcessorFactory } from "../../core/component.ts";
import { isDefinedProcessor } from "../../mod.ts";

/** A module that was loaded, or failed to load, by {@linkcode preloadModules}. */
export type LoadedModule =
  | { ok: true; resolvedPath: string; factory: ProcessorFactory }
  | { ok: false; resolvedPath: string; error: string };

const byWrittenPath = new Map<string, LoadedModule>();
const byResolvedPath = new Map<string, LoadedModule>();

/** Resolves a module path: absolute as is, relative against `baseDir` (default: the CWD). */
export function resolveModulePath(path: string, baseDir?: string): string {
  return isAbsolute(path) ? path : resolve(baseDir ?? Deno.cwd(), path);
}

/**
 * Imports the module at `path` (resolved with {@linkcode resolveModulePath}) and returns its
 * processor factory. Throws an Error that names the path and says what is wrong.
 */
export async function loadModuleFactory(path: string, baseDir?: string): Promise<ProcessorFactory> {
  const resolvedPath = resolveModulePath(path, baseDir);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(resolvedPath).href);
  } catch (error) {
    throw new Error(
      `cannot load module "${path}" (${resolvedPath}): ${(error as Error).message ?? error}`,
    );
  }
  const factory = module.default ?? module.processor;
  if (!isDefinedProcessor(factory)) {
    throw new Error(
      `module "${path}" must export a processor made with defineProcessor() from profcol's ` +
        "mod.ts as its default export or as `processor`" +
        (factory === undefined ? " (found neither)" : ""),
    );
  }
  return factory;
}

/**
 * Loads every module referenced as `processors: { module/<name>: { path } }` in an expanded
 * config document, so the `module` schema can validate each module's `config` synchronously.
 * Relative paths resolve against `baseDir` (the directory of the config file). Never throws
 * for a bad module: the failure is kept and reported by validation at `…::path`.
 */
export async function preloadModules(config: unknown, baseDir?: string): Promise<void> {
  const processors = (config as { processors?: unknown } | null)?.processors;
  if (processors === null || typeof processors !== "object") return;
  for (const [id, value] of Object.entries(processors as Record<string, unknown>)) {
    if (id !== "module" && !id.startsWith("module/")) continue;
    const path = (value as { path?: unknown } | null)?.path;
    if (typeof path !== "string" || path === "") continue;
    const resolvedPath = resolveModulePath(path, baseDir);
    let entry: LoadedModule;
    try {
      entry = { ok: true, resolvedPath, factory: await loadModuleFactory(resolvedPath) };
    } catch (error) {
      entry = {
        ok: false,
        resolvedPath,
        error: (error as Error).message.replace(resolvedPath, path),
      };
    }
    byWrittenPath.set(path, entry);
    byResolvedPath.set(resolvedPath, entry);
  }
}

/** The preloaded module for a path as written in the config, if {@linkcode preloadModules} ran. */
export function preloadedModule(path: string): LoadedModule | undefined {
  return byWrittenPath.get(path) ?? byResolvedPath.get(resolveModulePath(path));
}

/** Forgets every preloaded module (tests). */
export function clearPreloadedModules(): void {
  byWrittenPath.clear();
  byResolvedPath.clear();
}
