/**
 * `http_sd_configs`: Prometheus HTTP SD (`GET url` → JSON list of target groups, 200 with
 * `application/json`), polled every `refresh_interval`. Any failure keeps the last good set.
 *
 * @module
 */

import type { Logger } from "../../../core/telemetry/logger.ts";
import {
  createHttpClient,
  type HttpClient,
  type HttpClientConfig,
} from "../../../core/http/client.ts";
import { type Discoverer, parseTargetGroups, type TargetGroup } from "./target_group.ts";
import { DiscoveryError, DiscoveryHealth, reasonOf, reasonOfStatus } from "./health.ts";

/** Parsed `http_sd_configs` entry. */
export type HttpSdConfig = HttpClientConfig & {
  readonly url: string;
  readonly refresh_interval: number;
};

/** HTTP-based discovery. */
export class HttpDiscoverer implements Discoverer {
  readonly #config: HttpSdConfig;
  readonly #logger: Logger;
  readonly #client: HttpClient;
  readonly #abort = new AbortController();
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #update: (groups: TargetGroup[]) => void = () => {};
  /** Failures since the last success (exposed for tests and status). */
  failures = 0;

  constructor(
    config: HttpSdConfig,
    logger: Logger,
    userAgent: string,
    readonly health: DiscoveryHealth = new DiscoveryHealth("http_sd"),
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#client = createHttpClient(config, { userAgent });
  }

  async start(update: (groups: TargetGroup[]) => void): Promise<void> {
    this.#update = update;
    await this.refresh();
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.refresh(), this.#config.refresh_interval);
  }

  /** Fetches once (serialized) and publishes the result when it is good. */
  refresh(): Promise<void> {
    this.#running = this.#running.then(() => this.#refresh());
    return this.#running;
  }

  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    const url = this.#config.url;
    try {
      const response = await this.#client.fetch(url, {
        timeoutMs: Math.max(1000, this.#config.refresh_interval),
        signal: this.#abort.signal,
        headers: { accept: "application/json" },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new DiscoveryError(
          `server returned HTTP status ${response.status}`,
          reasonOfStatus(response.status),
        );
      }
      const type = response.headers.get("content-type") ?? "";
      if (!type.toLowerCase().startsWith("application/json")) {
        await response.body?.cancel();
        throw new DiscoveryError(
          `Content-Type ${JSON.stringify(type)}, expected application/json`,
          "invalid_response",
        );
      }
      let groups: TargetGroup[];
      try {
        groups = parseTargetGroups(await response.json(), url, { __meta_url: url });
      } catch (error) {
        throw new DiscoveryError((error as Error).message, "invalid_response");
      }
      if (this.#stopped) return;
      this.failures = 0;
      this.health.succeeded(groups.reduce((n, g) => n + g.targets.length, 0));
      this.#update(groups);
    } catch (error) {
      if (this.#stopped) return;
      this.failures++;
      this.health.failed(reasonOf(error), `GET ${url}: ${(error as Error).message}`);
      this.#logger.warn("http_sd: refresh failed; keeping the last good targets", { url, error });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
    this.#client.close();
  }
}
