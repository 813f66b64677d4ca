/**
 * `file_sd_configs`: JSON and YAML files in the Prometheus file SD format, found by globs,
 * re-read when their directories change (`Deno.watchFs`) and every `refresh_interval`.
 * A file that fails to parse keeps its previous groups; a deleted file drops them.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import type { Logger } from "../../../core/telemetry/logger.ts";
import { expandGlob, splitGlob } from "./glob.ts";
import { type Discoverer, parseTargetGroups, type TargetGroup } from "./target_group.ts";
import { DiscoveryError, DiscoveryHealth } from "./health.ts";
import { DebouncedWatch } from "../../../core/fs_watch.ts";

/** Parsed `file_sd_configs` entry. */
export interface FileSdConfig {
  readonly files: readonly string[];
  readonly refresh_interval: number;
}

/** Reads one SD file (by extension: `.json`, else YAML). */
export async function readTargetFile(path: string): Promise<TargetGroup[]> {
  const text = await Deno.readTextFile(path);
  try {
    const data = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    return parseTargetGroups(data, path, { __meta_filepath: path });
  } catch (error) {
    throw new DiscoveryError((error as Error).message, "invalid_response");
  }
}

/** File-based discovery. */
export class FileDiscoverer implements Discoverer {
  readonly #config: FileSdConfig;
  readonly #logger: Logger;
  #byFile = new Map<string, TargetGroup[]>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #watch: DebouncedWatch | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();
  #update: (groups: TargetGroup[]) => void = () => {};

  constructor(
    config: FileSdConfig,
    logger: Logger,
    readonly health: DiscoveryHealth = new DiscoveryHealth("file_sd"),
  ) {
    this.#config = config;
    this.#logger = logger;
  }

  async start(update: (groups: TargetGroup[]) => void): Promise<void> {
    this.#update = update;
    await this.refresh();
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.refresh(), this.#config.refresh_interval);
    const dirs = [...new Set(this.#config.files.map((f) => splitGlob(f).dir))];
    try {
      const existing = [];
      for (const dir of dirs) {
        try {
          if ((await Deno.stat(dir)).isDirectory) existing.push(dir);
        } catch { /* a missing directory is only polled */ }
      }
      if (existing.length > 0 && !this.#stopped) {
        this.#watch = new DebouncedWatch(
          existing,
          50,
          () => void this.refresh(),
          (error) => this.#logger.warn("file_sd: watcher failed", { error }),
        );
      }
    } catch (error) {
      this.#logger.warn("file_sd: cannot watch directories; relying on refresh_interval", {
        error,
      });
    }
  }

  /** Re-reads every matching file once (serialized) and publishes the result. */
  refresh(): Promise<void> {
    this.#running = this.#running.then(() => this.#refresh());
    return this.#running;
  }

  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    const next = new Map<string, TargetGroup[]>();
    const failures: string[] = [];
    for (const pattern of this.#config.files) {
      let paths: string[];
      try {
        paths = await expandGlob(pattern);
      } catch (error) {
        this.#logger.warn("file_sd: bad glob", { pattern, error });
        failures.push(`${pattern}: ${(error as Error).message}`);
        this.health.failed("config", failures.at(-1)!);
        continue;
      }
      for (const path of paths) {
        if (next.has(path)) continue;
        try {
          next.set(path, await readTargetFile(path));
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue;
          const previous = this.#byFile.get(path);
          if (previous) next.set(path, previous);
          failures.push(`${path}: ${(error as Error).message}`);
          this.health.failed(
            error instanceof DiscoveryError ? error.reason : "read",
            failures.at(-1)!,
          );
          this.#logger.warn("file_sd: cannot read target file; keeping its previous targets", {
            path,
            error,
          });
        }
      }
    }
    if (this.#stopped) return;
    this.#byFile = next;
    const groups = [...next.values()].flat();
    const targets = groups.reduce((n, g) => n + g.targets.length, 0);
    if (failures.length === 0) this.health.succeeded(targets);
    else {
      this.health.stillFailing(failures.join("; "));
      this.health.targets = targets;
    }
    this.#update(groups);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#watch?.close();
    await this.#running;
  }
}
