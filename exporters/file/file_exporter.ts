/**
 * The `file` exporter: the embedded default sink. Each push sample becomes a gzip pprof file
 * (gzipped here only when it is not already; never decoded), each ingest item a file holding
 * its body as received; one JSON line per written file goes to `index.jsonl`. Disk use is
 * bounded by `max_total_bytes` and `max_age` (see `disk_budget.ts`).
 *
 * Writes happen asynchronously and in order from a small bounded queue inside the exporter
 * (items and bytes, counted by the shared `core/delivery/capacity_ledger.ts`): a local disk
 * needs no retries or spool, so the rest of the network exporters' delivery queue would add
 * nothing. A request is refused whole (`reserve`) with backpressure when the write queue is
 * full, and as too large when it could never fit in the queue (`queue_size`, `queue_bytes`) or
 * an item could never fit in `max_total_bytes`.
 *
 * @module
 */

import { join } from "node:path";
import {
  BackpressureError,
  type Demand,
  demandOf,
  type Reservation,
  type SizedItem,
  TooLargeError,
} from "../../core/admission.ts";
import { CapacityLedger } from "../../core/delivery/capacity_ledger.ts";
import type { ComponentSettings, Exporter } from "../../core/component.ts";
import type { Counter, Gauge } from "../../core/telemetry/metrics.ts";
import { LogRepeater } from "../../core/telemetry/log_repeat.ts";
import { gzip } from "../../pprof/gzip.ts";
import { isGzip } from "../../pprof/sniff.ts";
import type { FileExporterConfig } from "./config.ts";
import { DiskBudget } from "./disk_budget.ts";
import {
  ACTIVE_INDEX,
  baseName,
  dateDir,
  ingestExtension,
  ingestIndexLine,
  pushIndexLine,
} from "./layout.ts";

interface Metrics {
  written: Counter;
  writtenBytes: Counter;
  dropped: Counter;
  deleted: Counter;
  queueItems: Gauge;
  queueBytes: Gauge;
  diskBytes: Gauge;
}

/** Writes profiles to a directory; see the module doc. */
export class FileExporter implements Exporter {
  readonly #settings: ComponentSettings;
  readonly #config: FileExporterConfig;
  readonly #labels: { component_id: string };
  readonly #metrics: Metrics;
  readonly #budget: DiskBudget;
  /** Items waiting to be written, from `#head` on (consumed ones are cut off now and then). */
  #queue: SizedItem[] = [];
  #head = 0;
  readonly #ledger: CapacityLedger;
  #draining: Promise<void> | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #seq = 0;
  #segment = 0;
  readonly #repeats: LogRepeater;

  constructor(settings: ComponentSettings, config: FileExporterConfig) {
    this.#settings = settings;
    this.#config = config;
    this.#labels = { component_id: settings.id };
    this.#repeats = new LogRepeater(settings.logger);
    this.#ledger = new CapacityLedger({
      owner: settings.id,
      maxItems: config.queue_size,
      maxBytes: config.queue_bytes,
      itemsSetting: "queue_size",
      bytesSetting: "queue_bytes",
    });
    const m = settings.metrics;
    const id = ["component_id"];
    this.#metrics = {
      written: m.counter("profcol_file_exporter_written_profiles_total", "Profiles written.", id),
      writtenBytes: m.counter(
        "profcol_file_exporter_written_bytes_total",
        "Bytes of profile files written (after gzip).",
        id,
      ),
      dropped: m.counter(
        "profcol_file_exporter_dropped_profiles_total",
        "Profiles accepted but not written, by reason.",
        ["component_id", "reason"],
      ),
      deleted: m.counter(
        "profcol_file_exporter_deleted_files_total",
        "Files deleted to keep disk use bounded, by reason (size, age).",
        ["component_id", "reason"],
      ),
      queueItems: m.gauge("profcol_file_exporter_queue_items", "Items waiting to be written.", id),
      queueBytes: m.gauge("profcol_file_exporter_queue_bytes", "Bytes waiting to be written.", id),
      diskBytes: m.gauge("profcol_file_exporter_disk_bytes", "Bytes of owned files on disk.", id),
    };
    this.#budget = new DiskBudget(
      config.max_total_bytes,
      config.max_age,
      (_file, reason) => this.#metrics.deleted.inc({ ...this.#labels, reason }),
      (path, error) => settings.logger.warn("cannot delete old file", { path, error }),
    );
  }

  /** Creates the directory, accounts for files of earlier runs, starts the age sweep. */
  async start(): Promise<void> {
    await this.#init();
    if (this.#config.max_age > 0 && !this.#closed) {
      const every = Math.min(Math.max(this.#config.max_age / 10, 1000), 60_000);
      this.#timer = setInterval(() => this.#kick(), every);
    }
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        await Deno.mkdir(this.#config.directory, { recursive: true });
      } catch (error) {
        this.#ready = undefined; // try again on the next write
        throw new Error(
          `${this.#settings.id}: cannot create directory "${this.#config.directory}": ${
            (error as Error).message
          }`,
        );
      }
      this.#segment = await this.#budget.scan(this.#config.directory);
      await this.#budget.enforce(Date.now());
      this.#publishDisk();
      this.#settings.logger.info("writing profiles", {
        directory: this.#config.directory,
        files: this.#budget.fileCount,
        bytes: this.#budget.totalBytes,
      });
    })();
    return this.#ready;
  }

  check(demand: Demand): void {
    if (this.#closed) throw new BackpressureError(`${this.#settings.id} is shutting down`);
    this.#ledger.check(demand);
  }

  reserve(items: readonly SizedItem[]): Promise<Reservation> {
    // The executor turns a throw of #hold into a rejection.
    return new Promise((resolve) => resolve(this.#hold(items)));
  }

  #hold(items: readonly SizedItem[]): Reservation {
    for (const one of items) {
      if (one.bytes > this.#config.max_total_bytes) {
        throw new TooLargeError(
          `a profile of ${one.bytes} bytes is more than max_total_bytes ` +
            `(${this.#config.max_total_bytes}) of ${this.#settings.id}`,
        );
      }
    }
    if (this.#closed) throw new BackpressureError(`${this.#settings.id} is shutting down`);
    return this.#ledger.reserve(demandOf(items), () => {
      // One by one: a spread of a request's items would overflow the stack on a large one.
      for (const one of items) this.#queue.push(one);
      this.#publishQueue();
      void this.#kick();
    });
  }

  /** Stops the sweep and waits until everything queued is written. Safe twice. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#draining;
    if (this.#waiting() > 0) await this.#kick();
  }

  /** Resolves when the queue is empty (for tests and shutdown). */
  flush(): Promise<void> {
    return this.#waiting() > 0 ? this.#kick() : this.#draining ?? Promise.resolve();
  }

  #waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Takes the written head item out of the queue and frees its room. */
  #shift(): void {
    const done = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as SizedItem;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#ledger.free({ items: 1, bytes: done.bytes });
  }

  #kick(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      await this.#init();
    } catch (error) {
      this.#settings.logger.error("cannot prepare directory", {
        directory: this.#config.directory,
        error,
      });
      this.#dropAll("write_error");
      return;
    }
    while (this.#waiting() > 0) {
      const sizedItem = this.#queue[this.#head]!;
      try {
        await this.#write(sizedItem);
        const streak = this.#repeats.reset("write_error");
        if (streak) {
          this.#settings.logger.info("writing profiles again", { dropped_profiles: streak.total });
        }
      } catch (error) {
        // Warned once, then at most once a minute with counts: no per-profile logs above debug.
        this.#repeats.warn(
          "write_error",
          "cannot write profiles; dropping",
          { reason: "write_error", error },
          sizedItem.profiles,
          "profiles",
        );
        this.#drop(sizedItem, "write_error");
      }
      this.#shift();
      this.#publishQueue();
    }
    await this.#budget.enforce(Date.now()).catch(() => {});
    this.#publishDisk();
  }

  async #write({ item, profiles }: SizedItem): Promise<void> {
    const now = Date.now();
    const dir = dateDir(now);
    let lines = "";
    if (item.kind === "push") {
      for (const sample of item.samples) {
        const bytes = isGzip(sample.rawProfile) ? sample.rawProfile : gzip(sample.rawProfile);
        const file = await this.#writeFile(dir, now, "pb.gz", bytes);
        lines += pushIndexLine(now, item.labels, file, bytes.byteLength, sample.id);
      }
    } else {
      const file = await this.#writeFile(dir, now, ingestExtension(item), item.body);
      lines += ingestIndexLine(now, item, file);
    }
    await this.#appendIndex(lines);
    this.#metrics.written.inc(this.#labels, profiles);
    await this.#budget.enforce(now);
    this.#publishDisk();
  }

  /** Writes a new file under the date folder; returns its path relative to `directory`. */
  async #writeFile(dir: string, now: number, ext: string, bytes: Uint8Array): Promise<string> {
    for (let attempt = 0;; attempt++) {
      const relative = `${dir}/${baseName(now, this.#seq++ % 1_000_000)}.${ext}`;
      const path = join(this.#config.directory, relative);
      try {
        await Deno.writeFile(path, bytes, { createNew: true });
      } catch (error) {
        if (attempt > 3) throw error;
        if (error instanceof Deno.errors.NotFound) {
          await Deno.mkdir(join(this.#config.directory, dir), { recursive: true });
          continue;
        }
        if (error instanceof Deno.errors.AlreadyExists) continue;
        throw error;
      }
      this.#budget.add({ path, bytes: bytes.byteLength, time: now });
      this.#metrics.writtenBytes.inc(this.#labels, bytes.byteLength);
      return relative;
    }
  }

  async #appendIndex(lines: string): Promise<void> {
    const data = new TextEncoder().encode(lines);
    const active = join(this.#config.directory, ACTIVE_INDEX);
    if (
      this.#budget.activeIndexBytes > 0 &&
      this.#budget.activeIndexBytes + data.byteLength > this.#config.max_index_bytes
    ) {
      const segment = join(this.#config.directory, `index-${++this.#segment}.jsonl`);
      await Deno.rename(active, segment);
      this.#budget.add({ path: segment, bytes: this.#budget.activeIndexBytes, time: Date.now() });
      this.#budget.activeIndexBytes = 0;
    }
    await Deno.writeFile(active, data, { append: true, create: true });
    this.#budget.activeIndexBytes += data.byteLength;
  }

  #drop(item: SizedItem, reason: string): void {
    this.#metrics.dropped.inc({ ...this.#labels, reason }, item.profiles);
  }

  #dropAll(reason: string): void {
    while (this.#waiting() > 0) {
      this.#drop(this.#queue[this.#head]!, reason);
      this.#shift();
    }
    this.#publishQueue();
  }

  #publishQueue(): void {
    this.#metrics.queueItems.set(this.#labels, this.#ledger.items);
    this.#metrics.queueBytes.set(this.#labels, this.#ledger.bytes);
  }

  #publishDisk(): void {
    this.#metrics.diskBytes.set(this.#labels, this.#budget.totalBytes);
  }
}
