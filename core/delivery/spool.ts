/**
 * An on-disk spool directory for one delivery queue: each accepted item is written to its own
 * file before the caller is acknowledged, and removed once delivered or dropped. Files are
 * written under a temporary name and renamed, so a crash mid-write leaves no half item behind.
 * Without `fsync` the spool survives a process crash (SIGKILL) but not a power loss.
 *
 * A damaged file (torn by a power loss without `fsync`, or edited by hand) is found when it is
 * read for sending: it is moved aside as `*.corrupt` ({@linkcode Spool.quarantine}), counted
 * as dropped (reason `spool_corrupt`) and skipped, so it never blocks the files after it.
 *
 * Ownership: on a reload the new exporter opens the same directory while the old one still
 * delivers. Both may write new files at once (names are unique), but the files already there
 * are adopted only after the previous owner in this process released the directory, so no
 * file is ever sent by two owners. Another process using the directory is refused at open.
 *
 * @module
 */

import { join } from "node:path";
import { decodeQueuedItem, encodeQueuedItem, type QueuedItem } from "./item_codec.ts";

/** A spooled item: its file name (carrying sequence and profile count) and size. */
export interface SpoolRef {
  readonly name: string;
  readonly bytes: number;
  readonly profiles: number;
}

/** Options of {@linkcode Spool.open}. */
export interface SpoolOptions {
  /** `fsync` each file before acknowledging (survives power loss; slower). */
  readonly fsync?: boolean;
  /** Writes a new file (default: `Deno.writeFile`, or with `fsync` an open-write-sync); tests inject a full disk here. */
  readonly writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
}

const SUFFIX = ".pcq";
const LOCK = "LOCK";
/** Suffix of a damaged file moved aside (see {@linkcode Spool.quarantine}). */
export const CORRUPT_SUFFIX = ".corrupt";
/** Microsecond clock + counter: unique, increasing names across restarts and owners. */
let lastSeq = 0;
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/** Previous owners in this process, by directory: resolves when the owner released it. */
const owners = new Map<string, Promise<void>>();

/** See the module doc. */
export class Spool {
  readonly directory: string;
  readonly #writeFile: (path: string, bytes: Uint8Array) => Promise<void>;
  readonly #own = new Set<string>();
  #bytes = 0;
  #release!: () => void;
  #released = false;
  readonly #previousOwner: Promise<void>;

  private constructor(directory: string, options: SpoolOptions, previousOwner: Promise<void>) {
    this.directory = directory;
    this.#writeFile = options.writeFile ?? (options.fsync ? writeSynced : Deno.writeFile);
    this.#previousOwner = previousOwner;
  }

  /**
   * Opens (creating) `directory`. Throws when another live process holds it. Files already
   * in it are handed out later by {@linkcode Spool.recover}.
   */
  static async open(directory: string, options: SpoolOptions = {}): Promise<Spool> {
    await Deno.mkdir(directory, { recursive: true });
    const key = await Deno.realPath(directory);
    await checkOtherProcess(key);
    await Deno.writeTextFile(join(key, LOCK), `${Deno.pid}\n`);
    const previous = owners.get(key) ?? Promise.resolve();
    const spool = new Spool(key, options, previous);
    const released = new Promise<void>((resolve) => (spool.#release = resolve));
    owners.set(key, previous.then(() => released));
    return spool;
  }

  /** Bytes of the files this spool owns. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Waits until the previous owner in this process released the directory, then returns the
   * files it left (oldest first) and takes them over. Half-written files are deleted.
   */
  async recover(): Promise<SpoolRef[]> {
    await this.#previousOwner;
    const refs: SpoolRef[] = [];
    for await (const entry of Deno.readDir(this.directory)) {
      if (!entry.isFile) continue;
      if (entry.name.endsWith(".tmp")) {
        await Deno.remove(join(this.directory, entry.name)).catch(() => {});
        continue;
      }
      if (!entry.name.endsWith(SUFFIX) || this.#own.has(entry.name)) continue;
      const profiles = Number(entry.name.slice(0, -SUFFIX.length).split("-")[1] ?? "1");
      const { size } = await Deno.stat(join(this.directory, entry.name));
      refs.push({
        name: entry.name,
        bytes: size,
        profiles: Number.isFinite(profiles) ? profiles : 1,
      });
    }
    refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ref of refs) {
      this.#own.add(ref.name);
      this.#bytes += ref.bytes;
    }
    return refs;
  }

  /**
   * Writes `queued` durably (see the module doc) and returns its reference. A failed write
   * (a full disk) removes its temporary file before it rejects.
   */
  async write(queued: QueuedItem, profiles: number): Promise<SpoolRef> {
    const bytes = encodeQueuedItem(queued);
    const name = `${String(nextSeq()).padStart(17, "0")}-${profiles}${SUFFIX}`;
    const path = join(this.directory, name);
    const tmp = `${path}.tmp`;
    try {
      await this.#writeFile(tmp, bytes);
      await Deno.rename(tmp, path);
    } catch (error) {
      await Deno.remove(tmp).catch(() => {});
      throw error;
    }
    this.#own.add(name);
    this.#bytes += bytes.byteLength;
    return { name, bytes: bytes.byteLength, profiles };
  }

  /** Reads a spooled item back. Throws when the file is damaged or gone. */
  async read(ref: SpoolRef): Promise<QueuedItem> {
    return decodeQueuedItem(await Deno.readFile(join(this.directory, ref.name)));
  }

  /**
   * Moves a damaged item's file aside as `<name>.corrupt` (kept for inspection, never read
   * again) and stops owning it; returns the new path. A file already gone returns undefined.
   */
  async quarantine(ref: SpoolRef): Promise<string | undefined> {
    if (!this.#own.delete(ref.name)) return undefined;
    this.#bytes -= ref.bytes;
    const from = join(this.directory, ref.name);
    const to = `${from}${CORRUPT_SUFFIX}`;
    try {
      await Deno.rename(from, to);
      return to;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** Deletes a delivered or dropped item's file. */
  async remove(ref: SpoolRef): Promise<void> {
    if (!this.#own.delete(ref.name)) return;
    this.#bytes -= ref.bytes;
    await Deno.remove(join(this.directory, ref.name)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  /** Gives the directory up; files not removed stay for the next owner. Safe twice. */
  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#release();
    // The lock file only guards against other processes; leave it for the next owner here.
    await Promise.resolve();
  }
}

/** Writes `bytes` to a new file and syncs it to the disk before returning. */
async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } finally {
    file.close();
  }
}

async function checkOtherProcess(directory: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(directory, LOCK));
  } catch {
    return;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid === Deno.pid || pid <= 0) return;
  try {
    // Linux only: /proc/<pid> exists while that process lives.
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    if (cmdline.length > 0) {
      throw new Error(
        `spool directory ${directory} is in use by process ${pid}; give each collector its own spool.directory`,
      );
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("spool directory")) throw error;
  }
}
