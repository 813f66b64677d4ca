/**
 * The `sample_labels` processor: relabel rules over the string labels inside each pprof
 * sample (not the item's external labels; that is the `relabel` processor). Push items have
 * each raw profile rewritten; ingest items when `format=pprof` (the body is the pprof itself)
 * or when they are a pprof multipart form (the `profile` part); every other format passes
 * untouched. Gzip in, gzip out.
 *
 * The rewrite is `rewriteSampleLabels` (`rewrite.ts`), a pure function of bytes; it runs inline
 * on the pipeline's thread for now and can move to a worker pool as it is.
 *
 * A profile that cannot be read (corrupt gzip, over `max_decompressed_size`, not pprof, a
 * broken multipart form) passes unchanged and is counted by reason; the first of each reason
 * is logged as a warning with its cause, then a count at most once a minute.
 *
 * @module
 */

import type { ComponentSettings, Processor } from "../../core/component.ts";
import type { IngestItem, Item, PushItem, RawSample } from "../../core/items.ts";
import { LogRepeater } from "../../core/telemetry/log_repeat.ts";
import type { Counter } from "../../core/telemetry/metrics.ts";
import { gunzip, gzip, GzipTooLargeError } from "../../pprof/gzip.ts";
import { isGzip } from "../../pprof/sniff.ts";
import type { SampleLabelsConfig } from "./config.ts";
import { createSampleRules, rewriteSampleLabels, type SampleRules } from "./rewrite.ts";
import { isPprofMultipart, rewriteMultipartProfile } from "./multipart.ts";

/** Why a profile was passed on unread. */
type Undecodable = "too_large" | "bad_gzip" | "bad_pprof" | "bad_multipart";

/** Runs relabel rules over pprof sample labels; see the module doc. */
export class SampleLabelsProcessor implements Processor {
  readonly #settings: ComponentSettings;
  readonly #rules: SampleRules;
  readonly #maxBytes: number;
  readonly #id: { component_id: string };
  readonly #profiles: Counter;
  readonly #rewritten: Counter;
  readonly #undecodable: Counter;
  readonly #samplesDropped: Counter;
  readonly #samplesMerged: Counter;
  readonly #bytesIn: Counter;
  readonly #bytesOut: Counter;
  readonly #repeats: LogRepeater;

  constructor(settings: ComponentSettings, config: SampleLabelsConfig) {
    this.#settings = settings;
    this.#rules = createSampleRules(config.rule, config.max_cache_size);
    this.#maxBytes = config.max_decompressed_size;
    this.#id = { component_id: settings.id };
    this.#repeats = new LogRepeater(settings.logger);
    const m = settings.metrics;
    const id = ["component_id"];
    this.#profiles = m.counter(
      "profcol_sample_labels_profiles_total",
      "Profiles read by the sample label rules (rewritten or left as they were).",
      id,
    );
    this.#rewritten = m.counter(
      "profcol_sample_labels_profiles_rewritten_total",
      "Profiles whose sample labels changed and were re-encoded.",
      id,
    );
    this.#undecodable = m.counter(
      "profcol_sample_labels_profiles_undecodable_total",
      "Profiles passed on unchanged because they could not be read, by reason " +
        "(too_large, bad_gzip, bad_pprof, bad_multipart).",
      ["component_id", "reason"],
    );
    this.#samplesDropped = m.counter(
      "profcol_sample_labels_samples_dropped_total",
      "Samples removed by a keep or drop rule.",
      id,
    );
    this.#samplesMerged = m.counter(
      "profcol_sample_labels_samples_merged_total",
      "Samples folded into another whose stack and labels became equal (values summed).",
      id,
    );
    this.#bytesIn = m.counter(
      "profcol_sample_labels_bytes_in_total",
      "Decompressed bytes of the profiles read.",
      id,
    );
    this.#bytesOut = m.counter(
      "profcol_sample_labels_bytes_out_total",
      "Decompressed bytes of the profiles passed on (rewritten or not).",
      id,
    );
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.#rules.cache.clear();
    return Promise.resolve();
  }

  process(item: Item): Item | Promise<Item> {
    return item.kind === "push" ? this.#processPush(item) : this.#processIngest(item);
  }

  #processPush(item: PushItem): PushItem {
    let samples: RawSample[] | undefined;
    for (let i = 0; i < item.samples.length; i++) {
      const sample = item.samples[i]!;
      const rawProfile = this.#rewrite(sample.rawProfile);
      if (rawProfile === sample.rawProfile) continue;
      samples ??= item.samples.slice();
      samples[i] = { ...sample, rawProfile };
    }
    return samples === undefined ? item : { ...item, samples };
  }

  #processIngest(item: IngestItem): IngestItem | Promise<IngestItem> {
    const format = item.query.find(([name]) => name === "format")?.[1];
    if (isPprofMultipart(format, item.contentType)) return this.#processMultipart(item);
    // `format=pprof` is the one other ingest format whose body is pprof: the body itself.
    if (format !== "pprof") return item;
    const body = this.#rewrite(item.body);
    return body === item.body ? item : { ...item, body };
  }

  async #processMultipart(item: IngestItem): Promise<IngestItem> {
    let rewritten;
    try {
      rewritten = await rewriteMultipartProfile(
        item.body,
        item.contentType[0]!,
        (profile) => this.#rewrite(profile),
      );
    } catch (error) {
      this.#failed("bad_multipart", error);
      return item;
    }
    if (rewritten === null) return item;
    return { ...item, body: rewritten.body, contentType: [rewritten.contentType] };
  }

  /** The profile with its sample labels rewritten, or `raw` itself (unchanged or unreadable). */
  #rewrite(raw: Uint8Array): Uint8Array {
    const gzipped = isGzip(raw);
    let plain: Uint8Array;
    try {
      if (!gzipped && raw.byteLength > this.#maxBytes) throw new GzipTooLargeError(this.#maxBytes);
      plain = gzipped ? gunzip(raw, { maxBytes: this.#maxBytes }) : raw;
    } catch (error) {
      this.#failed(error instanceof GzipTooLargeError ? "too_large" : "bad_gzip", error);
      return raw;
    }
    let result;
    try {
      result = rewriteSampleLabels(plain, this.#rules);
    } catch (error) {
      this.#failed("bad_pprof", error);
      return raw;
    }
    const id = this.#id;
    this.#profiles.inc(id);
    this.#bytesIn.inc(id, plain.byteLength);
    if (result.dropped > 0) this.#samplesDropped.inc(id, result.dropped);
    if (result.merged > 0) this.#samplesMerged.inc(id, result.merged);
    if (result.bytes === null) {
      this.#bytesOut.inc(id, plain.byteLength);
      return raw;
    }
    this.#rewritten.inc(id);
    this.#bytesOut.inc(id, result.bytes.byteLength);
    return gzipped ? gzip(result.bytes) : result.bytes;
  }

  #failed(reason: Undecodable, error: unknown): void {
    this.#undecodable.inc({ component_id: this.#settings.id, reason });
    // Bad input from clients: loud the first time, then a count at most once a minute.
    this.#repeats.warn(
      `undecodable:${reason}`,
      "sample_labels: passing on profiles it cannot read, unchanged",
      () => ({ reason, error: error instanceof Error ? error.message : String(error) }),
      1,
      "profiles",
    );
  }
}
