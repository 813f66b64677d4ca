/**
 * One list+watch per identical request in a process: two scrape components (or a scrape and an
 * `enrich` processor) whose `kubernetes_sd_configs` watch the same resource of the same API
 * server, with the same selectors and credentials, share one {@linkcode Reflector} — as Alloy
 * shares one `discovery.kubernetes` between the components that use its targets, and as
 * `profcol convert` writes such a shared block into each scrape. Each user keeps its own groups,
 * health and errors; the watch stops when the last user releases it.
 *
 * @module
 */

import { createHttpClient, type HttpClient } from "../../../../core/http/client.ts";
import type { HttpClientConfig } from "../../../../core/http/client.ts";
import type { DiscoveryFailureReason } from "../health.ts";
import { Reflector, type ReflectorOptions } from "./reflector.ts";

/** What a user of a shared watch is told. */
export interface WatchListener {
  onChange(): void;
  onError(message: string | undefined, reason?: DiscoveryFailureReason): void;
}

/** What identifies one watch (credentials included: another identity may see other objects). */
export interface WatchRequest {
  readonly client: HttpClientConfig;
  readonly userAgent: string;
  readonly url: string;
  readonly resource: string;
  readonly labelSelector: string;
  readonly fieldSelector: string;
  readonly backoff?: ReflectorOptions["backoff"];
  readonly watchTimeoutSeconds?: number;
}

/** A user's handle on a shared watch. */
export interface SharedWatch {
  readonly reflector: Reflector;
  /** Stops listening; the last release stops the watch and closes its client. */
  release(): Promise<void>;
}

interface Entry {
  readonly reflector: Reflector;
  readonly client: HttpClient;
  readonly listeners: Set<WatchListener>;
  /** The last error reported (a new user starts from it), `undefined` when healthy. */
  error: { message: string; reason?: DiscoveryFailureReason } | undefined;
}

const watches = new Map<string, Entry>();

/** Watches in this process (for tests). */
export function sharedWatchCount(): number {
  return watches.size;
}

/** Joins the watch of `request`, starting it when nobody watches it yet. */
export function joinWatch(request: WatchRequest, listener: WatchListener): SharedWatch {
  const key = JSON.stringify(request);
  let entry = watches.get(key);
  if (entry === undefined) {
    const listeners = new Set<WatchListener>();
    const client = createHttpClient(request.client, { userAgent: request.userAgent });
    const created: Entry = {
      client,
      listeners,
      error: undefined,
      reflector: new Reflector({
        client,
        url: request.url,
        resource: request.resource,
        labelSelector: request.labelSelector,
        fieldSelector: request.fieldSelector,
        backoff: request.backoff,
        watchTimeoutSeconds: request.watchTimeoutSeconds,
        onChange: () => {
          for (const l of [...listeners]) l.onChange();
        },
        onError: (message, reason) => {
          created.error = message === undefined ? undefined : { message, reason };
          for (const l of [...listeners]) l.onError(message, reason);
        },
      }),
    };
    entry = created;
    watches.set(key, entry);
    entry.listeners.add(listener);
    entry.reflector.start();
  } else {
    entry.listeners.add(listener);
    // A later user starts from what the watch already knows: its objects and its failure.
    const known = entry;
    queueMicrotask(() => {
      if (!known.listeners.has(listener)) return;
      if (known.error) listener.onError(known.error.message, known.error.reason);
      if (known.reflector.synced) listener.onChange();
    });
  }
  const joined = entry;
  let released = false;
  return {
    reflector: joined.reflector,
    async release() {
      if (released) return;
      released = true;
      joined.listeners.delete(listener);
      if (joined.listeners.size > 0) return;
      if (watches.get(key) === joined) watches.delete(key);
      await joined.reflector.stop();
      joined.client.close();
    },
  };
}
