/**
 * Keeps track of the files the `file` exporter owns, oldest first, and deletes the oldest
 * when the total passes `max_total_bytes` or a file passes `max_age`. Only files matching the
 * exporter's own naming are ever counted or deleted.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { ACTIVE_INDEX, DATE_DIR_PATTERN, PROFILE_FILE_PATTERN, SEGMENT_PATTERN } from "./layout.ts";

/** A file counted against the budget. */
export interface TrackedFile {
  readonly path: string;
  readonly bytes: number;
  /** Write time, ms since the epoch. */
  readonly time: number;
}

/** Why a file was deleted. */
export type DeleteReason = "size" | "age";

/** Oldest-first list of owned files with their total size. */
export class DiskBudget {
  #files: TrackedFile[] = [];
  #head = 0;
  #bytes = 0;
  /** Size of the active index, counted but never deleted here. */
  activeIndexBytes = 0;

  constructor(
    readonly maxTotalBytes: number,
    readonly maxAgeMs: number,
    readonly onDelete: (file: TrackedFile, reason: DeleteReason) => void,
    readonly onError: (path: string, error: unknown) => void,
  ) {}

  /** Bytes on disk: tracked files plus the active index. */
  get totalBytes(): number {
    return this.#bytes + this.activeIndexBytes;
  }

  /** Number of tracked files. */
  get fileCount(): number {
    return this.#files.length - this.#head;
  }

  /** Records a file just written (newest). */
  add(file: TrackedFile): void {
    this.#files.push(file);
    this.#bytes += file.bytes;
  }

  /**
   * Scans `directory` for files written earlier (by a previous run) so the cap holds across
   * restarts. Returns the highest index segment number found (0 when none).
   */
  async scan(directory: string): Promise<number> {
    const found: TrackedFile[] = [];
    let maxSegment = 0;
    for await (const entry of Deno.readDir(directory)) {
      const path = join(directory, entry.name);
      if (entry.isFile && entry.name === ACTIVE_INDEX) {
        this.activeIndexBytes = (await Deno.stat(path)).size;
      } else if (entry.isFile && SEGMENT_PATTERN.test(entry.name)) {
        maxSegment = Math.max(maxSegment, Number(SEGMENT_PATTERN.exec(entry.name)![1]));
        found.push(await tracked(path));
      } else if (entry.isDirectory && DATE_DIR_PATTERN.test(entry.name)) {
        for await (const inner of Deno.readDir(path)) {
          if (inner.isFile && PROFILE_FILE_PATTERN.test(inner.name)) {
            found.push(await tracked(join(path, inner.name)));
          }
        }
      }
    }
    found.sort((a, b) => a.time - b.time || (a.path < b.path ? -1 : 1));
    for (const file of found) this.add(file);
    return maxSegment;
  }

  /** Deletes oldest files until under the size cap and no file is older than `max_age`. */
  async enforce(now: number): Promise<void> {
    while (this.fileCount > 0) {
      const oldest = this.#files[this.#head]!;
      let reason: DeleteReason;
      if (this.totalBytes > this.maxTotalBytes) reason = "size";
      else if (this.maxAgeMs > 0 && now - oldest.time > this.maxAgeMs) reason = "age";
      else break;
      this.#head++;
      this.#bytes -= oldest.bytes;
      await this.#remove(oldest, reason);
    }
    // Drop the consumed prefix now and then instead of shifting on every delete.
    if (this.#head > 1024 && this.#head * 2 > this.#files.length) {
      this.#files = this.#files.slice(this.#head);
      this.#head = 0;
    }
  }

  async #remove(file: TrackedFile, reason: DeleteReason): Promise<void> {
    try {
      await Deno.remove(file.path);
      this.onDelete(file, reason);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) this.onError(file.path, error);
    }
    const parent = dirname(file.path);
    if (DATE_DIR_PATTERN.test(basename(parent))) {
      // Fails (and is ignored) while the folder still holds files.
      await Deno.remove(parent).catch(() => {});
    }
  }
}

async function tracked(path: string): Promise<TrackedFile> {
  const info = await Deno.stat(path);
  return { path, bytes: info.size, time: info.mtime?.getTime() ?? 0 };
}
