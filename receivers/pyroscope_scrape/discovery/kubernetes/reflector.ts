/**
 * List-then-watch of one resource (client-go's reflector, reduced): `GET <path>` for the
 * current objects and their `resourceVersion`, then `?watch=true&resourceVersion=…&
 * allowWatchBookmarks=true` as a stream of JSON lines (`ADDED`, `MODIFIED`, `DELETED`,
 * `BOOKMARK`, `ERROR`). A watch that ends is resumed from the last version; `410 Gone` (as a
 * status or an `ERROR` event) relists; other failures back off exponentially. A relist
 * replaces the store wholesale, so objects deleted while disconnected disappear.
 *
 * @module
 */

import type { HttpClient } from "../../../../core/http/client.ts";
import {
  DiscoveryError,
  type DiscoveryFailureReason,
  reasonOf,
  reasonOfStatus,
} from "../health.ts";
import type { KubeObject } from "./roles.ts";
import { objectKey } from "./roles.ts";

/** Options of a {@linkcode Reflector}. */
export interface ReflectorOptions {
  readonly client: HttpClient;
  /** Full URL without query, e.g. `https://api:6443/api/v1/namespaces/shop/pods`. */
  readonly url: string;
  /** Resource name for messages (`pods`). */
  readonly resource: string;
  readonly labelSelector: string;
  readonly fieldSelector: string;
  /** Called after the store changed (relist or event). */
  readonly onChange: () => void;
  /**
   * Called with a message and its reason when a request fails, and with `undefined` once one
   * succeeds.
   */
  readonly onError: (message: string | undefined, reason?: DiscoveryFailureReason) => void;
  /** First retry delay and its cap (ms). */
  readonly backoff?: { initialMs: number; maxMs: number };
  /** Server-side watch timeout (s); the client gives up 30 s after it. */
  readonly watchTimeoutSeconds?: number;
}

class Gone extends Error {}

/** Why a request failed, from the Kubernetes `Status` body when there is one. */
async function describeFailure(response: Response, what: string): Promise<string> {
  let detail = "";
  try {
    const text = await response.text();
    try {
      const status = JSON.parse(text) as { message?: string };
      detail = status.message ?? text;
    } catch {
      detail = text;
    }
  } catch { /* no body */ }
  detail = detail.trim().slice(0, 300);
  let hint = "";
  if (response.status === 401) hint = "; check the token or client certificate";
  if (response.status === 403) hint = "; grant get, list and watch on it to the service account";
  return `${what} failed: HTTP ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }${detail ? `: ${detail}` : ""}${hint}`;
}

/** Keeps a store of one resource in step with the API server. */
export class Reflector {
  readonly #o: ReflectorOptions;
  readonly #abort = new AbortController();
  /** Objects by `namespace/name`. */
  store = new Map<string, KubeObject>();
  /** Whether the first list has completed. */
  synced = false;
  /** Last resource version seen. */
  resourceVersion: string | undefined;
  /** Lists done (tests check relists). */
  lists = 0;
  #running: Promise<void> | undefined;
  #sleepTimer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: ReflectorOptions) {
    this.#o = options;
  }

  /** Starts the list/watch loop. */
  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#sleepTimer !== undefined) clearTimeout(this.#sleepTimer);
    this.#wake?.();
    await this.#running;
  }

  #query(extra: Record<string, string>): string {
    const q = new URLSearchParams();
    if (this.#o.labelSelector) q.set("labelSelector", this.#o.labelSelector);
    if (this.#o.fieldSelector) q.set("fieldSelector", this.#o.fieldSelector);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    const s = q.toString();
    return s ? `${this.#o.url}?${s}` : this.#o.url;
  }

  async #run(): Promise<void> {
    const { initialMs, maxMs } = this.#o.backoff ?? { initialMs: 500, maxMs: 30_000 };
    let delay = initialMs;
    let needList = true;
    while (!this.#abort.signal.aborted) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          this.#o.onError(undefined);
        }
        const started = Date.now();
        await this.#watch(() => {
          delay = initialMs;
          this.#o.onError(undefined);
        });
        // A server that closes watches at once must not be hammered.
        if (Date.now() - started < 1000) {
          await this.#sleep(delay);
          delay = Math.min(maxMs, delay * 2);
        }
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        if (error instanceof Gone) {
          needList = true;
          continue;
        }
        this.#o.onError((error as Error).message, reasonOf(error));
        await this.#sleep(delay);
        delay = Math.min(maxMs, delay * 2);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(() => {
        this.#sleepTimer = undefined;
        resolve();
      }, ms);
    });
  }

  async #list(): Promise<void> {
    const url = this.#query({});
    let response: Response;
    try {
      response = await this.#o.client.fetch(url, {
        timeoutMs: 60_000,
        signal: this.#abort.signal,
        headers: { accept: "application/json" },
      });
    } catch (error) {
      throw new DiscoveryError(
        `Listing ${this.#o.resource} at ${url} failed: ${(error as Error).message}`,
        reasonOf(error),
      );
    }
    if (response.status !== 200) {
      throw new DiscoveryError(
        await describeFailure(response, `Listing ${this.#o.resource} at ${url}`),
        reasonOfStatus(response.status),
      );
    }
    const body = await response.json() as {
      metadata?: { resourceVersion?: string };
      items?: KubeObject[];
    };
    const store = new Map<string, KubeObject>();
    for (const item of body.items ?? []) {
      if (item?.metadata?.name) store.set(objectKey(item.metadata), item);
    }
    this.store = store;
    this.resourceVersion = body.metadata?.resourceVersion;
    this.synced = true;
    this.lists++;
    this.#o.onChange();
  }

  async #watch(connected: () => void): Promise<void> {
    const timeout = this.#o.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    const query: Record<string, string> = {
      watch: "true",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(timeout),
    };
    if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
    const url = this.#query(query);
    const response = await this.#o.client.fetch(url, {
      timeoutMs: (timeout + 30) * 1000,
      signal: this.#abort.signal,
      headers: { accept: "application/json" },
    }).catch((error: Error) => {
      throw new DiscoveryError(
        `Watching ${this.#o.resource} at ${url} failed: ${error.message}`,
        reasonOf(error),
      );
    });
    if (response.status === 410) {
      await response.body?.cancel();
      throw new Gone();
    }
    if (response.status !== 200 || !response.body) {
      throw new DiscoveryError(
        await describeFailure(response, `Watching ${this.#o.resource} at ${url}`),
        reasonOfStatus(response.status),
      );
    }
    connected();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      while (true) {
        let chunk: ReadableStreamReadResult<string>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new Error(
            `Watching ${this.#o.resource} at ${url}: connection lost: ${(error as Error).message}`,
          );
        }
        if (chunk.done) break;
        buffer += chunk.value;
        let nl: number;
        let changed = false;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line !== "" && this.#event(line)) changed = true;
        }
        if (changed) this.#o.onChange();
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  /** Applies one watch event; returns whether the store changed. */
  #event(line: string): boolean {
    let event: { type?: string; object?: KubeObject & { code?: number; message?: string } };
    try {
      event = JSON.parse(line);
    } catch {
      throw new DiscoveryError(
        `Watching ${this.#o.resource}: the server sent a line that is not JSON`,
        "invalid_response",
      );
    }
    const object = event.object;
    if (event.type === "ERROR") {
      if (object?.code === 410) throw new Gone();
      throw new Error(
        `Watching ${this.#o.resource}: the server sent an error: ${
          object?.message ?? JSON.stringify(object)
        }`,
      );
    }
    if (!object?.metadata) return false;
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    switch (event.type) {
      case "ADDED":
      case "MODIFIED":
        this.store.set(objectKey(object.metadata), object);
        return true;
      case "DELETED":
        return this.store.delete(objectKey(object.metadata));
      default: // BOOKMARK
        return false;
    }
  }
}
