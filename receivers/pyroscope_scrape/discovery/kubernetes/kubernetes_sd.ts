/**
 * `kubernetes_sd_configs`: one {@linkcode Reflector} per watched resource and namespace — shared
 * with every other discoverer of the process that watches the same thing the same way
 * (`shared_watch.ts`), so a discovery block used by two scrapes is one API watch; after every
 * change the role's target groups are rebuilt from the stores (coalesced over a few
 * milliseconds) and pushed. Groups are published once every resource has listed once. A relist
 * that returns the same objects yields the same groups, so no scrape loop restarts.
 *
 * @module
 */

import type { Logger } from "../../../../core/telemetry/logger.ts";
import type { DiscoveryStatus } from "../../../../core/status.ts";
import type { Discoverer, TargetGroup } from "../target_group.ts";
import { type DiscoveryFailureReason, DiscoveryHealth } from "../health.ts";
import type { KubernetesSdConfig } from "./config.ts";
import { type ConnectionEnv, ownNamespace, processEnv, resolveConnection } from "./connection.ts";
import type { Reflector } from "./reflector.ts";
import { joinWatch, type SharedWatch } from "./shared_watch.ts";
import {
  buildGroups,
  effectiveAttach,
  type KubeObject,
  type KubeResource,
  resourcesOf,
  selectorRoleOf,
  type Stores,
} from "./roles.ts";

/** Status of one discovery mechanism (published under `discovery`): the kernel's contract. */
export type { DiscoveryStatus };

/** Test hooks. */
export interface KubernetesDiscovererOptions {
  env?: ConnectionEnv;
  backoff?: { initialMs: number; maxMs: number };
  watchTimeoutSeconds?: number;
}

/** Kubernetes API discovery. */
export class KubernetesDiscoverer implements Discoverer {
  readonly #config: KubernetesSdConfig;
  readonly #logger: Logger;
  readonly #userAgent: string;
  readonly #options: KubernetesDiscovererOptions;
  readonly #reflectors: { resource: KubeResource; reflector: Reflector }[] = [];
  readonly #watches: SharedWatch[] = [];
  readonly #errors = new Map<Reflector, string>();
  #server = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #update: (groups: TargetGroup[]) => void = () => {};

  constructor(
    config: KubernetesSdConfig,
    logger: Logger,
    userAgent: string,
    options: KubernetesDiscovererOptions = {},
    readonly health: DiscoveryHealth = new DiscoveryHealth("kubernetes_sd"),
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#userAgent = userAgent;
    this.#options = options;
  }

  start(update: (groups: TargetGroup[]) => void): void {
    this.#update = update;
    const env = this.#options.env ?? processEnv;
    let namespaces: string[];
    let connection: ReturnType<typeof resolveConnection>;
    try {
      connection = resolveConnection(this.#config, env);
      this.#server = connection.server;
      namespaces = [...new Set(this.#config.namespaces.names)];
      if (this.#config.namespaces.own_namespace) {
        const own = ownNamespace(env);
        if (!namespaces.includes(own)) namespaces.push(own);
      }
    } catch (error) {
      const message = (error as Error).message;
      this.health.failed("config", message);
      this.#logger.error("kubernetes_sd: cannot start discovery", {
        role: this.#config.role,
        error: message,
      });
      return;
    }
    const selectors = new Map(this.#config.selectors.map((s) => [s.role, s]));
    for (const resource of resourcesOf(this.#config.role, this.#config.attach_metadata)) {
      const selectorRole = selectorRoleOf(resource.name);
      const selector = selectorRole === undefined ? undefined : selectors.get(selectorRole);
      const scopes = resource.namespaced && namespaces.length > 0 ? namespaces : [undefined];
      for (const ns of scopes) {
        const path = ns === undefined
          ? `${resource.prefix}/${resource.name}`
          : `${resource.prefix}/namespaces/${encodeURIComponent(ns)}/${resource.name}`;
        const watch: SharedWatch = joinWatch({
          client: connection.client,
          userAgent: this.#userAgent,
          url: this.#server + path,
          resource: resource.name,
          labelSelector: selector?.label ?? "",
          fieldSelector: selector?.field ?? "",
          backoff: this.#options.backoff,
          watchTimeoutSeconds: this.#options.watchTimeoutSeconds,
        }, {
          onChange: () => this.#schedule(),
          onError: (message, reason) => this.#onError(watch.reflector, message, reason),
        });
        this.#watches.push(watch);
        this.#reflectors.push({ resource, reflector: watch.reflector });
      }
    }
  }

  #onError(
    reflector: Reflector,
    message: string | undefined,
    reason: DiscoveryFailureReason = "unreachable",
  ): void {
    const before = this.#errors.get(reflector);
    if (message === undefined) {
      if (before !== undefined) {
        this.#errors.delete(reflector);
        this.#logger.info("kubernetes_sd: API requests succeed again", { role: this.#config.role });
      }
      const remaining = [...new Set(this.#errors.values())];
      if (remaining.length === 0) this.health.succeeded();
      else this.health.stillFailing(remaining.join("; "));
      return;
    }
    this.#errors.set(reflector, message);
    this.health.failed(reason, [...new Set(this.#errors.values())].join("; "));
    // Log each new kind of failure once; repeats go to debug.
    if (before !== message) {
      this.#logger.warn("kubernetes_sd: API request failed", { error: message });
    } else this.#logger.debug("kubernetes_sd: API request failed", { error: message });
  }

  /** Rebuilds after a burst of changes settles (a relist or a stream of events). */
  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#publish();
    }, 10);
  }

  #publish(): void {
    if (this.#stopped) return;
    if (!this.#reflectors.every(({ reflector }) => reflector.synced)) return;
    const merged: Record<KubeResource["name"], Map<string, KubeObject>> = {
      pods: new Map(),
      services: new Map(),
      nodes: new Map(),
      endpoints: new Map(),
      endpointslices: new Map(),
      namespaces: new Map(),
      replicasets: new Map(),
      jobs: new Map(),
    };
    for (const { resource, reflector } of this.#reflectors) {
      for (const [k, v] of reflector.store) merged[resource.name].set(k, v);
    }
    const groups = buildGroups(
      this.#config.role,
      merged as unknown as Stores,
      effectiveAttach(this.#config.role, this.#config.attach_metadata),
    );
    this.health.targets = groups.reduce((n, g) => n + g.targets.length, 0);
    this.#update(groups);
  }

  /** Health for the status page. */
  status(componentId: string): DiscoveryStatus {
    const synced = this.#reflectors.length > 0 &&
      this.#reflectors.every(({ reflector }) => reflector.synced);
    const { health, last_error, targets } = this.health.state();
    return {
      component_id: componentId,
      mechanism: "kubernetes_sd",
      role: this.#config.role,
      api_server: this.#server,
      health: health === "down" ? "down" : synced ? "up" : "unknown",
      last_error,
      targets,
    };
  }

  /** The reflectors (for tests). */
  get reflectors(): readonly Reflector[] {
    return this.#reflectors.map((r) => r.reflector);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#watches.map((watch) => watch.release()));
  }
}
