/**
 * The one process-wide budget for client-side delta state (`service.delta_memory`).
 *
 * Every {@linkcode DeltaComputer} (`delta.ts`) reserves the bytes of the state it keeps between
 * two profiles of its target. While the total stays within the limit, state lives in memory.
 * A state that would take the total past the limit is written to a file in a private temporary
 * directory instead ("spilled") and read back (and the file removed) when the next profile of
 * that target arrives: memory stays bounded while every delta stays correct, at the price of a
 * small file write and read per scrape of the targets past the limit. When the file cannot be
 * written either, the state is dropped ("dropped"): the next profile of that target only primes
 * again, so one delta is lost, never a wrong one sent.
 *
 * What happens at the limit is counted per component and reason ({@linkcode limitEvents}) and
 * warned once, with the root cause, when it starts.
 *
 * @module
 */

/** What a state did instead of growing memory past the limit. */
export type DeltaLimitReason = "spilled" | "dropped";

/** Where the budget warns (a `core/telemetry` logger fits). */
export interface DeltaMemoryLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Default `service.delta_memory`: 256 MiB. A target's state is about 17 bytes per distinct
 * allocating stack (a 96-bit identity and two varint counters), about 0.2–0.45 of its
 * decompressed heap profile: ~150 KB for a large (400 KB) Go heap profile, a few KB for a
 * typical service. 256 MiB keeps ~1,700 such large targets (tens of thousands of typical ones)
 * in memory, a quarter of the 1 GiB a 3,000-target collector is given; beyond it a state costs a
 * file write and read per scrape instead of memory.
 */
export const DEFAULT_DELTA_MEMORY = 256 * 1024 * 1024;

/** One budget shared by the delta computers of a process. */
export class DeltaMemory {
  #limit: number;
  #used = 0;
  #logger: DeltaMemoryLogger | undefined;
  #events = new Map<string, { owner: string; reason: DeltaLimitReason; count: number }>();
  /** How much of each event {@linkcode takeNewLimitEvents} already handed out. */
  readonly #taken = new Map<string, number>();
  /** Reasons already warned about since the limit was last set. */
  readonly #warned = new Set<DeltaLimitReason>();
  #spillDir: string | undefined;
  #spillSeq = 0;
  #spilledFiles = 0;
  readonly #spillParent: string | undefined;

  /** `spillParent`: where the private spill directory is made (default: the system temp). */
  constructor(limitBytes = DEFAULT_DELTA_MEMORY, options: { spillParent?: string } = {}) {
    this.#limit = limitBytes;
    this.#spillParent = options.spillParent;
  }

  /** Sets the limit (and where to warn); a new limit warns again when it is reached. */
  configure(limitBytes: number, logger?: DeltaMemoryLogger): void {
    if (limitBytes !== this.#limit) this.#warned.clear();
    this.#limit = limitBytes;
    if (logger) this.#logger = logger;
  }

  /** The limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** Bytes of state held in memory now, across every computer. */
  get used(): number {
    return this.#used;
  }

  /** States kept on disk now. */
  get spilledStates(): number {
    return this.#spilledFiles;
  }

  /**
   * Reserves `bytes` when they fit under the limit; returns whether they did. The first fit
   * after the limit was reached with nothing left on disk says so (info) and re-arms the warning.
   */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    if (this.#warned.size > 0 && this.#spilledFiles === 0) {
      this.#warned.clear();
      this.#logger?.info("delta state is within service.delta_memory again", {
        delta_memory: this.#limit,
        used_bytes: this.#used,
      });
    }
    return true;
  }

  /** Gives back bytes reserved with {@linkcode tryReserve}. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }

  /** Writes `parts` to a new spill file; returns its path. Throws when the disk refuses. */
  spill(parts: readonly Uint8Array[]): string {
    this.#spillDir ??= this.#makeSpillDir();
    const path = `${this.#spillDir}/${++this.#spillSeq}.delta`;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, createNew: true });
    } catch (error) {
      this.#spillDir = undefined;
      throw error;
    }
    try {
      for (const part of parts) {
        let written = 0;
        while (written < part.byteLength) written += file.writeSync(part.subarray(written));
      }
    } catch (error) {
      file.close();
      this.#remove(path);
      // The directory may have been removed under us (a temp cleaner): make it again next time.
      this.#spillDir = undefined;
      throw error;
    }
    file.close();
    this.#spilledFiles++;
    return path;
  }

  /** Reads a spill file back and removes it. Throws when it cannot be read. */
  unspill(path: string): Uint8Array {
    try {
      return Deno.readFileSync(path);
    } finally {
      this.discard(path);
    }
  }

  /** Removes a spill file that is no longer needed. */
  discard(path: string): void {
    this.#spilledFiles = Math.max(0, this.#spilledFiles - 1);
    this.#remove(path);
  }

  /**
   * Counts what a component's state did at the limit (`count` times: a worker thread reports its
   * own events to the main thread's budget in batches); warns once per reason.
   */
  recordLimit(owner: string, reason: DeltaLimitReason, cause?: unknown, count = 1): void {
    const key = `${owner}\u0000${reason}`;
    const event = this.#events.get(key);
    if (event) event.count += count;
    else this.#events.set(key, { owner, reason, count });
    if (this.#warned.has(reason)) return;
    this.#warned.add(reason);
    const fields: Record<string, unknown> = {
      component_id: owner,
      delta_memory: this.#limit,
      used_bytes: this.#used,
    };
    if (cause !== undefined) fields.err = cause instanceof Error ? cause.message : String(cause);
    this.#logger?.warn(
      reason === "spilled"
        ? "delta state reached service.delta_memory: further state is spilled to disk " +
          "(raise delta_memory to keep it in memory)"
        : "delta state reached service.delta_memory and could not be spilled to disk: " +
          "states are dropped, their next profile only primes the delta",
      fields,
    );
  }

  /** Every (component, reason) that reached the limit and how often. */
  limitEvents(): { owner: string; reason: DeltaLimitReason; count: number }[] {
    return [...this.#events.values()].map((e) => ({ ...e }));
  }

  /**
   * The limit events of `owner` since the last call (for a worker thread to hand its own to
   * the main thread's budget, which counts and warns for the whole process).
   */
  takeNewLimitEvents(owner: string): { reason: DeltaLimitReason; count: number }[] {
    const out: { reason: DeltaLimitReason; count: number }[] = [];
    for (const [key, event] of this.#events) {
      if (event.owner !== owner) continue;
      const taken = this.#taken.get(key) ?? 0;
      if (event.count > taken) out.push({ reason: event.reason, count: event.count - taken });
      this.#taken.set(key, event.count);
    }
    return out;
  }

  #makeSpillDir(): string {
    removeStaleSpillDirs(this.#spillParent);
    const dir = Deno.makeTempDirSync({
      dir: this.#spillParent,
      prefix: `${SPILL_PREFIX}${Deno.pid}-`,
    });
    // Spill files only matter to this process: remove them when it ends.
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Already gone.
      }
    });
    return dir;
  }

  #remove(path: string): void {
    try {
      Deno.removeSync(path);
    } catch {
      // Already gone.
    }
  }
}

const SPILL_PREFIX = "profcol-delta-";

/**
 * Removes spill directories of processes that are gone (killed before their `unload`), named
 * `profcol-delta-<pid>-…`. Where `/proc` does not exist nothing is removed.
 */
function removeStaleSpillDirs(parent: string | undefined): void {
  try {
    Deno.statSync("/proc/self");
    const dir = parent ?? Deno.env.get("TMPDIR") ?? "/tmp";
    for (const entry of Deno.readDirSync(dir)) {
      const pid = /^profcol-delta-(\d+)-/.exec(entry.name)?.[1];
      if (!entry.isDirectory || pid === undefined || Number(pid) === Deno.pid) continue;
      try {
        Deno.statSync(`/proc/${pid}`);
      } catch {
        Deno.removeSync(`${dir}/${entry.name}`, { recursive: true });
      }
    }
  } catch {
    // No /proc, or the directory cannot be read: leave everything as it is.
  }
}

/** The process-wide budget; the service sets its limit from `service.delta_memory`. */
export const deltaMemory: DeltaMemory = new DeltaMemory();
