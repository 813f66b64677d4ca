/**
 * The CPU-heavy half of a scrape, run where `service.workers` says (a worker thread, or the
 * main thread with `workers: 1`): fetch and validate the profile, compute the client-side
 * delta, and hand back the bytes to forward (a transferred buffer, not a copy). Scheduling,
 * health, metrics and admission stay on the main thread (`scrape_loop.ts`), so there is one
 * view of them whatever the worker count.
 *
 * State kept here, per thread: one HTTP client per receiver instance (`open`, made on demand
 * when a scrape finds none) and the delta state of each loop pinned to this thread. A loop
 * that stops `forget`s its state; a receiver that stops `close`s its client and state on
 * every thread.
 *
 * @module
 */

import { ownBytes } from "../../core/bytes.ts";
import {
  createHttpClient,
  type HttpClient,
  type HttpClientConfig,
} from "../../core/http/client.ts";
import { threadLag } from "../../core/workers/lag.ts";
import type { TaskHandler, TaskResult } from "../../core/workers/task.ts";
import { DeltaComputer, type DeltaKind } from "../../pprof/delta.ts";
import { type DeltaLimitReason, deltaMemory } from "../../pprof/delta_memory.ts";
import { fetchProfile, ScrapeError } from "./fetch_profile.ts";

/** The URL the runner imports this module from. */
export const SCRAPE_TASKS: string = import.meta.url;

/** `open`: the client of one receiver instance. */
export interface OpenClientInput {
  readonly clientKey: string;
  readonly config: HttpClientConfig;
  readonly userAgent: string;
  /** The component id, owner of its loops' delta state in `service.delta_memory`. */
  readonly owner: string;
  /**
   * Set when this runs on a worker thread: the thread's share of `service.delta_memory` (the
   * budget divided by the threads), and its limit events go back with each scrape to the main
   * thread's budget, which counts and warns for the process.
   */
  readonly threadDeltaMemory?: number;
}

/** `scrape`: one scrape of one loop. */
export interface ScrapeInput {
  readonly clientKey: string;
  /** Unique per loop; starts with `clientKey` and a NUL. */
  readonly loopKey: string;
  readonly url: string;
  readonly profileType: string;
  readonly timeoutMs: number;
  readonly bodySizeLimit: number;
  /** The client-side delta to apply, if any. */
  readonly delta: DeltaKind | null;
  readonly nowNanos: number;
}

/** Delta budget events of a worker thread, for the main thread's budget. */
export interface DeltaLimitEvents {
  readonly limitEvents?: readonly { reason: DeltaLimitReason; count: number }[];
}

/** What a scrape produced; `stateBytes` is the loop's delta state afterwards. */
export type ScrapeOutput =
  | { kind: "profile"; body: Uint8Array; scrapedBytes: number; stateBytes: number }
    & DeltaLimitEvents
  | { kind: "primed"; scrapedBytes: number; stateBytes: number } & DeltaLimitEvents
  | DeltaLimitEvents & {
    kind: "failed";
    message: string;
    reason: ScrapeError["reason"] | "internal";
    rootCause: string;
    /** How long this thread's event loop was stalled while the scrape ran (ms). */
    stalledMs: number;
    scrapedBytes: number;
    stateBytes: number;
  }
  | { kind: "no_client" };

const clients = new Map<
  string,
  { client: HttpClient; owner: string; remote: boolean }
>();
const deltas = new Map<string, DeltaComputer>();

const done = <T>(value: T, transfer?: ArrayBuffer[]): TaskResult<T> => ({ value, transfer });

const open: TaskHandler = (payload) => {
  const { clientKey, config, userAgent, owner, threadDeltaMemory } = payload as OpenClientInput;
  if (threadDeltaMemory !== undefined) deltaMemory.configure(threadDeltaMemory);
  if (!clients.has(clientKey)) {
    clients.set(clientKey, {
      client: createHttpClient(config, { userAgent }),
      owner,
      remote: threadDeltaMemory !== undefined,
    });
  }
  return done(null);
};

const close: TaskHandler = (payload) => {
  const { clientKey } = payload as { clientKey: string };
  clients.get(clientKey)?.client.close();
  clients.delete(clientKey);
  const prefix = `${clientKey}\0`;
  for (const [key, delta] of deltas) {
    if (!key.startsWith(prefix)) continue;
    // Gives the state's share of service.delta_memory back (or removes its spill file).
    delta.reset();
    deltas.delete(key);
  }
  return done(null);
};

const forget: TaskHandler = (payload) => {
  const { loopKey } = payload as { loopKey: string };
  deltas.get(loopKey)?.reset();
  deltas.delete(loopKey);
  return done(null);
};

const scrape: TaskHandler = async (payload, signal) => {
  const input = payload as ScrapeInput;
  const opened = clients.get(input.clientKey);
  if (!opened) return done<ScrapeOutput>({ kind: "no_client" });
  const { client, owner, remote } = opened;
  // On a worker thread the budget events are the main thread's to count and warn about.
  const limits = (): DeltaLimitEvents => {
    if (!remote) return {};
    const events = deltaMemory.takeNewLimitEvents(owner);
    return events.length > 0 ? { limitEvents: events } : {};
  };
  let delta = deltas.get(input.loopKey);
  if (!delta && input.delta) {
    deltas.set(input.loopKey, delta = new DeltaComputer(input.delta, { owner }));
  }
  const stalledAtStart = threadLag.stalledMs();
  let scrapedBytes = 0;
  try {
    const body = await fetchProfile(client, {
      url: input.url,
      profileType: input.profileType,
      timeoutMs: input.timeoutMs,
      bodySizeLimit: input.bodySizeLimit,
      signal,
    });
    scrapedBytes = body.byteLength;
    let out: Uint8Array | null = body;
    if (delta) {
      try {
        out = delta.compute(body, input.nowNanos);
      } catch (cause) {
        throw new ScrapeError(
          `delta of ${input.profileType} profile from ${input.url} failed: ${
            (cause as Error).message
          }`,
          "delta",
        );
      }
    }
    const stateBytes = delta?.stateBytes() ?? 0;
    if (out === null) {
      return done<ScrapeOutput>({ kind: "primed", scrapedBytes, stateBytes, ...limits() });
    }
    const owned = ownBytes(out);
    return done<ScrapeOutput>(
      { kind: "profile", body: owned, scrapedBytes, stateBytes, ...limits() },
      [owned.buffer as ArrayBuffer],
    );
  } catch (cause) {
    const message = (cause as Error).message;
    return done<ScrapeOutput>({
      kind: "failed",
      message,
      reason: cause instanceof ScrapeError ? cause.reason : "internal",
      rootCause: cause instanceof ScrapeError ? cause.rootCause : message,
      stalledMs: threadLag.stalledMs() - stalledAtStart,
      scrapedBytes,
      stateBytes: delta?.stateBytes() ?? 0,
      ...limits(),
    });
  }
};

/** The scrape tasks (`core/workers/task.ts`). */
export const tasks: Readonly<Record<string, TaskHandler>> = { open, close, forget, scrape };
