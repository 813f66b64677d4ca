/**
 * `run --watch-config`: reloads when a config file's content changes. The directories holding
 * the files are watched (not the files: a Kubernetes ConfigMap volume replaces its `..data`
 * symlink atomically, so the file's own inode never changes), and every event — plus a slow
 * poll, for file systems without events — re-reads the files and compares their content with
 * what was last seen. A change calls `onChange` once; the collector's reload then behaves as
 * for SIGHUP (an invalid config is logged and the running pipelines stay).
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { Logger } from "../core/telemetry/logger.ts";
import { DebouncedWatch } from "../core/fs_watch.ts";

/** Timing of a {@linkcode ConfigWatcher}. */
export interface ConfigWatchOptions {
  /** Quiet time after the last event before re-reading (writers and kubelet act in bursts). */
  readonly debounceMs?: number;
  /** Re-read this often even without events. */
  readonly pollMs?: number;
}

/** Watches config files for content changes. */
export class ConfigWatcher {
  readonly #files: readonly string[];
  readonly #onChange: () => void;
  readonly #logger: Logger;
  #seen: string | undefined;
  #watch: DebouncedWatch | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(
    files: readonly string[],
    onChange: () => void,
    logger: Logger,
    options: ConfigWatchOptions = {},
  ) {
    this.#files = files.map((f) => resolve(f));
    this.#onChange = onChange;
    this.#logger = logger;
    this.#seen = this.#content();
    const dirs = [...new Set(this.#files.map((f) => dirname(f)))];
    try {
      this.#watch = new DebouncedWatch(
        dirs,
        options.debounceMs ?? 200,
        () => this.check(),
        (error) => this.#logger.warn("config watcher failed; polling", { error }),
      );
    } catch (error) {
      this.#logger.warn("cannot watch the config directories; polling them", { dirs, error });
    }
    this.#poll = setInterval(() => this.check(), options.pollMs ?? 10_000);
  }

  /** The files' content now (unreadable files count as empty: a swap may be half done). */
  #content(): string {
    return this.#files.map((f) => {
      try {
        return Deno.readTextFileSync(f);
      } catch {
        return "";
      }
    }).join("\u0000");
  }

  /** Compares the content with the last seen and calls `onChange` when it differs. */
  check(): void {
    if (this.#stopped) return;
    const content = this.#content();
    if (content === this.#seen) return;
    this.#seen = content;
    this.#logger.info("config file changed; reloading", { files: this.#files.join(",") });
    this.#onChange();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#poll !== undefined) clearInterval(this.#poll);
    await this.#watch?.close();
  }
}
