/**
 * Directories watched with `Deno.watchFs`, one callback after a burst of events settles: editors,
 * `kubectl cp` and the kubelet's ConfigMap symlink swap write in bursts, and one re-read after
 * them is enough. Used by file discovery and by the config watcher.
 *
 * @example
 * ```ts
 * import { DebouncedWatch } from "./fs_watch.ts";
 * const watch = new DebouncedWatch([Deno.makeTempDirSync()], 50, () => {}, console.warn);
 * await watch.close();
 * ```
 * @module
 */

/** A running watch; {@linkcode DebouncedWatch.close} ends it and any pending callback. */
export class DebouncedWatch {
  readonly #watcher: Deno.FsWatcher;
  readonly #loop: Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Watches `dirs` (not recursively); `onSettled` runs `debounceMs` after the last event of a
   * burst. Throws what `Deno.watchFs` throws; a watcher that fails later calls `onError` once.
   */
  constructor(
    dirs: readonly string[],
    debounceMs: number,
    onSettled: () => void,
    onError: (error: unknown) => void,
  ) {
    const watcher = Deno.watchFs([...dirs], { recursive: false });
    this.#watcher = watcher;
    this.#loop = (async () => {
      try {
        for await (const _event of watcher) {
          if (this.#closed) break;
          if (this.#timer !== undefined) clearTimeout(this.#timer);
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            if (!this.#closed) onSettled();
          }, debounceMs);
        }
      } catch (error) {
        if (!this.#closed) onError(error);
      }
    })();
  }

  /** Stops watching; a callback still pending does not run. Safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#watcher.close();
    } catch { /* already closed */ }
    await this.#loop;
  }
}
