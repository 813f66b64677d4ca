/**
 * The operator console served by the admin server: pages (`/`, `/components/<id>`,
 * `/components/<id>/live`, `/targets`, `/flame/<series>`), their JSON (`/api/v1/components`,
 * `/api/v1/profiles…`, the live-debugging event stream) and the collector's own profiles
 * (`/debug/pprof/profile`, `/debug/pprof/heap`, `/debug/pprof/allocs`). Every route is
 * read-only (GET/HEAD).
 *
 * Wiring, all explicit: the collector builds one {@linkcode ConsoleState} from the service's
 * taps (`service.taps`, `core/pipeline/taps.ts`) and hands it to each admin server's console;
 * the console reads components' status through the typed contracts of `core/status.ts`
 * (`service.status().published`) and watches live debugging through `service.taps`.
 *
 * Flame-graph data flow: the pipeline hands each accepted request to `Taps.accepted`; the
 * console state queues it and, off the request path, keeps the raw pprof bytes (copied to bytes
 * of their own) in the {@linkcode ProfileStore} ring (bounded by
 * `service.telemetry.console.profiles_memory`); `/api/v1/profiles/<series>/flame` decodes one of
 * them on demand into a compact tree (`flame_tree.ts`) that the page draws.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";
import { printableConfig } from "../core/config/printable.ts";
import type { Service, ServiceStatus } from "../core/service/service.ts";
import type { DiscoveryStatus } from "../core/status.ts";
import type { LogFields, Logger } from "../core/telemetry/logger.ts";
import type { MetricsRegistry } from "../core/telemetry/metrics.ts";
import { escapeHtml } from "../core/admin/page.ts";
import { CPU_PROFILE_MAX_SECONDS, selfProfiler } from "../core/admin/self_profile.ts";
import { CONSOLE_CSS } from "./assets_css.ts";
import { CONSOLE_JS } from "./assets_js.ts";
import type { ConsoleState } from "./console_state.ts";
import { componentCounters, componentViews } from "./component_views.ts";
import { liveStream } from "./live_stream.ts";
import { flameTree } from "./flame_tree.ts";
import { targetRows } from "./target_rows.ts";
import {
  type ComponentView,
  type DiscoveryRow,
  type PipelineView,
  renderComponentPage,
  renderGraphPage,
  renderLivePage,
  renderTargetsPage,
  type TargetRow,
} from "./pages.ts";
import type { ProfileStore, SeriesInfo } from "./profile_store.ts";
import {
  diffOfRanges,
  listSeries,
  MAX_MERGED_PROFILES,
  mergedFlame,
  QueryError,
  type SeriesFilter,
  seriesFilter,
  shownLabels,
} from "./series_api.ts";
import { renderDiffPage, renderFlamePage, renderSeriesPage } from "./series_pages.ts";

/** What the console needs from the admin server. */
export interface ConsoleOptions {
  readonly service: Service;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  /** The profile ring and last errors, kept by the collector across admin servers. */
  readonly state: ConsoleState;
  /** Shown at the top of `/`. */
  readonly header: () => string;
}

const ERRORS_KEPT = 20;

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function text(status: number, body: string): Response {
  return new Response(body + "\n", { status, headers: TEXT });
}

function html(body: string): Response {
  return new Response(body, { headers: HTML_HEADERS });
}

/** Every field of a log record but its time, level, message and component, as `k=v`. */
function detailOf(record: Readonly<LogFields>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (key === "ts" || key === "level" || key === "msg" || key === "component_id") continue;
    if (value === undefined || value === null || value === "") continue;
    parts.push(
      `${key}=${
        value instanceof Error
          ? value.message
          : typeof value === "string"
          ? value
          : JSON.stringify(value)
      }`,
    );
  }
  const text = parts.join(" · ");
  return text.length > 1000 ? text.slice(0, 999) + "…" : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The published `discovery` status (Kubernetes discovery today) as targets-page rows. */
function discoveryRows(status: ServiceStatus): DiscoveryRow[] {
  return (status.published.discovery ?? []).map((d: DiscoveryStatus) => ({
    component: d.component_id,
    mechanism: d.mechanism,
    role: d.role,
    apiServer: d.api_server,
    health: d.health,
    lastError: d.last_error,
    targets: d.targets,
  }));
}

function str(value: unknown): string {
  return typeof value === "string"
    ? value
    : value === undefined || value === null
    ? ""
    : String(value);
}

/** Alloy's `health_type` of a component view. */
function controllerHealth(view: ComponentView): "healthy" | "unhealthy" | "unknown" | "exited" {
  if (view.state === "stopped") return "exited";
  if (view.health === "ok") return "healthy";
  if (view.health === "unknown") return "unknown";
  return "unhealthy";
}

/** The console's piece of the admin server. */
export class Console {
  readonly #options: ConsoleOptions;
  readonly #profiler = selfProfiler();
  /** Ends this console's running CPU profile on close (the profiler is shared). */
  readonly #closing = new AbortController();
  readonly #streams = new Set<() => void>();
  readonly #unobserve: () => void;
  readonly #uncollect: () => void;

  constructor(options: ConsoleOptions) {
    this.#options = options;
    const errors = options.state.errors;
    // Alloy's controller health: the components by the health the graph shows.
    const running = options.metrics.gauge(
      "alloy_component_controller_running_components",
      "Total number of running components, by health (healthy, unhealthy, unknown, exited), as " +
        "the console's graph colours them (ok; degraded or failing; unknown; stopped).",
      ["health_type"],
    );
    this.#uncollect = running.collect(() => {
      const counts: Record<string, number> = { healthy: 0, unhealthy: 0, unknown: 0, exited: 0 };
      for (const view of this.views().values()) counts[controllerHealth(view)]!++;
      for (const [health_type, n] of Object.entries(counts)) running.set({ health_type }, n);
    });
    this.#unobserve = options.logger.observe((level, record) => {
      if (level !== "warn" && level !== "error") return;
      const component = record.component_id;
      if (typeof component !== "string") return;
      let list = errors.get(component);
      if (list === undefined) errors.set(component, list = []);
      list.unshift({ at: str(record.ts), level, msg: str(record.msg), detail: detailOf(record) });
      if (list.length > ERRORS_KEPT) list.length = ERRORS_KEPT;
    });
  }

  /** The profile ring, with every accepted request recorded. */
  get store(): ProfileStore {
    return this.#options.state.store;
  }

  /** Starts what must run before it is asked for (heap sampling sees only later allocations). */
  start(): void {
    this.#profiler.startHeapSampling().catch((error) =>
      this.#options.logger.warn("cannot start heap sampling", { err: error })
    );
  }

  /** Ends live streams and a running self-profile; stops observing logs. */
  close(): void {
    this.#unobserve();
    this.#uncollect();
    for (const end of [...this.#streams]) end();
    this.#closing.abort();
  }

  get #liveEnabled(): boolean {
    return this.#options.service.config?.service.telemetry.live_debugging?.enabled ?? false;
  }

  /** Answers a console route, or `undefined` when `url` is not one. */
  async handle(request: Request, url: URL): Promise<Response | undefined> {
    const path = url.pathname;
    const route = this.#route(path);
    if (route === undefined) return undefined;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(`method ${request.method} not allowed; use GET\n`, {
        status: 405,
        headers: { ...TEXT, allow: "GET" },
      });
    }
    return await route(request, url);
  }

  #route(path: string): ((request: Request, url: URL) => Response | Promise<Response>) | undefined {
    switch (path) {
      case "/":
        return () => this.#graphPage();
      case "/targets":
        return () => {
          const status = this.#options.service.status();
          return html(renderTargetsPage(this.targetRows(status), discoveryRows(status)));
        };
      case "/console/console.css":
        return () =>
          new Response(CONSOLE_CSS, {
            headers: { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" },
          });
      case "/console/console.js":
        return () =>
          new Response(CONSOLE_JS, {
            headers: {
              "content-type": "text/javascript; charset=utf-8",
              "cache-control": "no-cache",
            },
          });
      case "/api/v1/components":
        return () => Response.json(this.componentsJson());
      case "/api/v1/profiles":
        return (_request, url) =>
          answer(() => Response.json(listSeries(this.store, seriesFilter(url.searchParams))));
      case "/profiles":
        return (_request, url) => this.#seriesPage(url);
      case "/debug/pprof/profile":
        return (_request, url) => this.#cpuProfile(url);
      case "/debug/pprof/heap":
      case "/debug/pprof/allocs":
        return () => this.#heapProfile();
    }
    let match = /^\/components\/(.+)$/.exec(path);
    if (match) {
      const rest = decodeURIComponent(match[1]!);
      return () => this.#componentRoute(rest);
    }
    match = /^\/api\/v1\/components\/(.+)\/live$/.exec(path);
    if (match) {
      const id = decodeURIComponent(match[1]!);
      return (_request, url) => this.#liveStream(id, url.searchParams.get("filter") ?? "");
    }
    match = /^\/(flame|diff)\/([0-9a-f]+)$/.exec(path);
    if (match) {
      const [, what, id] = match as unknown as [string, string, string];
      return () => this.#seriesGraphPage(what, id);
    }
    match = /^\/api\/v1\/profiles\/([0-9a-f]+)\/(flame|diff|pprof)$/.exec(path);
    if (match) {
      const [, id, what] = match as unknown as [string, string, string];
      return (_request, url) =>
        what === "flame"
          ? this.#flameJson(id, url)
          : what === "diff"
          ? this.#diffJson(id, url)
          : this.#pprof(id, url);
    }
    return undefined;
  }

  // ---- components --------------------------------------------------------------------------

  /** One view per component id (processors of several pipelines merged): `component_views.ts`. */
  views(status: ServiceStatus = this.#options.service.status()): Map<string, ComponentView> {
    return componentViews(status);
  }

  /** Pipeline counters of a component (monotonic; the page computes rates). */
  counters(id: string, kind: string): Record<string, number> {
    return componentCounters(this.#options.metrics, id, kind);
  }

  /** `/api/v1/components`. */
  componentsJson(): { at: number; components: unknown[] } {
    const at = Date.now();
    const components = [...this.views().values()].map((v) => ({
      ...v,
      counters: this.counters(v.id, v.kind),
    }));
    return { at, components };
  }

  #graphPage(): Response {
    const status = this.#options.service.status();
    const pipelines: PipelineView[] = status.pipelines.map((p) => ({ ...p }));
    return html(renderGraphPage(pipelines, this.views(status), this.#options.header()));
  }

  #componentRoute(rest: string): Response {
    const status = this.#options.service.status();
    const views = this.views(status);
    let view = views.get(rest);
    if (view) return html(this.#componentPage(view, status));
    if (rest.endsWith("/live")) {
      view = views.get(rest.slice(0, -"/live".length));
      if (view) return html(renderLivePage(view.id, this.#liveEnabled));
    }
    return text(404, `no component ${JSON.stringify(rest)} is running`);
  }

  #componentPage(view: ComponentView, status: ServiceStatus): string {
    const config = this.#options.service.config;
    let configYaml = "";
    if (config) {
      const printable = printableConfig(config);
      const section = printable[`${view.kind}s`];
      const mine = isRecord(section) ? section[view.id] : undefined;
      configYaml = toYaml(mine ?? {});
    }
    const endpoints = (status.published.exporters ?? []).filter((x) => x.id === view.id)
      .flatMap((x) => x.endpoints);
    return renderComponentPage({
      view,
      configYaml,
      errors: this.#options.state.errors.get(view.id) ?? [],
      endpoints,
      targets: this.targetRows(status).filter((row) => row.component === view.id),
      liveEnabled: this.#liveEnabled,
      deltaStateBytes: view.type === "pyroscope.scrape"
        ? ((status.published.targets ?? []) as unknown[]).filter(isRecord)
          .filter((t) => t.component_id === view.id)
          .reduce((n: number, t) => n + (Number(t.delta_state_bytes) || 0), 0)
        : undefined,
    });
  }

  // ---- targets -----------------------------------------------------------------------------

  /** The published targets, one row per target (its profile types merged): `target_rows.ts`. */
  targetRows(status: ServiceStatus = this.#options.service.status()): TargetRow[] {
    return targetRows(status.published.targets ?? [], this.store);
  }

  // ---- flame graphs ------------------------------------------------------------------------

  /** The series of the ring as the console shows them (labels redacted). */
  #shown(info: SeriesInfo): SeriesInfo {
    return { ...info, labels: shownLabels(info.labels) };
  }

  #seriesPage(url: URL): Response {
    const receivers = [...this.views().values()].filter((v) => v.kind === "receiver")
      .map((v) => v.id).sort();
    let filter: SeriesFilter = { match: [] };
    let error = "";
    try {
      filter = seriesFilter(url.searchParams);
    } catch (cause) {
      if (!(cause instanceof QueryError)) throw cause;
      error = cause.message;
    }
    return html(renderSeriesPage(listSeries(this.store, filter), filter, receivers, error));
  }

  #seriesGraphPage(what: string, id: string): Response {
    const kept = this.store.get(id);
    if (!kept) {
      return new Response(
        renderFlamePageMissing(),
        { status: 404, headers: HTML_HEADERS },
      );
    }
    const info = this.#shown(kept.info);
    return html(
      what === "diff" ? renderDiffPage(info, MAX_MERGED_PROFILES) : renderFlamePage(
        info,
        kept.profiles.map((p) => ({ at: p.at, bytes: p.bytes.byteLength })),
        MAX_MERGED_PROFILES,
      ),
    );
  }

  #diffJson(id: string, url: URL): Response {
    const kept = this.store.get(id);
    if (!kept) return text(404, `no profile kept for series ${id}`);
    return answer(() => Response.json(diffOfRanges(kept.profiles, url.searchParams)));
  }

  #pick(id: string, url: URL): { bytes: Uint8Array; at: number } | Response {
    const kept = this.store.get(id);
    if (!kept) return text(404, `no profile kept for series ${id}`);
    const asked = Number(url.searchParams.get("index") ?? -1);
    const index = Number.isInteger(asked) && asked >= 0 && asked < kept.profiles.length
      ? asked
      : kept.profiles.length - 1;
    return kept.profiles[index]!;
  }

  #flameJson(id: string, url: URL): Response {
    if (Number(url.searchParams.get("index") ?? -1) < 0) {
      const kept = this.store.get(id);
      if (!kept) return text(404, `no profile kept for series ${id}`);
      return answer(() => Response.json(mergedFlame(kept.profiles, url.searchParams)));
    }
    const picked = this.#pick(id, url);
    if (picked instanceof Response) return picked;
    const sampleType = Number(url.searchParams.get("sample_type") ?? -1);
    try {
      return Response.json(
        flameTree(picked.bytes, { sampleType: Number.isInteger(sampleType) ? sampleType : -1 }),
      );
    } catch (error) {
      return text(422, `cannot decode this profile: ${(error as Error).message}`);
    }
  }

  #pprof(id: string, url: URL): Response {
    const picked = this.#pick(id, url);
    if (picked instanceof Response) return picked;
    const gz = picked.bytes[0] === 0x1f && picked.bytes[1] === 0x8b;
    const name = `profile-${id}-${new Date(picked.at).toISOString().replace(/[:.]/g, "")}.pb${
      gz ? ".gz" : ""
    }`;
    return new Response(picked.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="${name}"`,
      },
    });
  }

  // ---- live debugging ----------------------------------------------------------------------

  #liveStream(id: string, filter: string): Response {
    if (!this.#liveEnabled) {
      return text(
        403,
        "live debugging is off; set service.telemetry.live_debugging.enabled: true and reload",
      );
    }
    if (!this.views().has(id)) return text(404, `no component ${JSON.stringify(id)} is running`);
    return liveStream({
      taps: this.#options.service.taps,
      id,
      filter,
      enabled: () => this.#liveEnabled,
      streams: this.#streams,
    });
  }

  // ---- self-profiling ----------------------------------------------------------------------

  async #cpuProfile(url: URL): Promise<Response> {
    const raw = url.searchParams.get("seconds") ?? "30";
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return text(400, `seconds must be a positive number, got ${JSON.stringify(raw)}`);
    }
    if (seconds > CPU_PROFILE_MAX_SECONDS) {
      return text(400, `seconds must be at most ${CPU_PROFILE_MAX_SECONDS}, got ${raw}`);
    }
    // Not tied to request.signal: a profile ends after `seconds` (or on shutdown) anyway.
    // A concurrent request joins the running sampling session (self_profile.ts).
    const body = await this.#profiler.cpu(seconds, this.#closing.signal);
    return pprofResponse(body, "profile");
  }

  async #heapProfile(): Promise<Response> {
    return pprofResponse(await this.#profiler.heap(), "heap");
  }
}

/** `make()`, or 400 with the message of a bad query parameter. */
function answer(make: () => Response): Response {
  try {
    return make();
  } catch (error) {
    if (error instanceof QueryError) return text(400, error.message);
    throw error;
  }
}

function pprofResponse(body: Uint8Array, name: string): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${name}"`,
      "x-content-type-options": "nosniff",
    },
  });
}

function renderFlamePageMissing(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>no profile · profcol</title>
<link rel="stylesheet" href="/console/console.css"></head><body><main><h1>No profile kept for this series</h1>
<p>Profiles are kept in a small ring (<code>service.telemetry.console.profiles_memory</code>); this one is gone or never
arrived. See <a href="/targets">targets</a>.</p></main></body></html>`;
}

/** The header line of `/`. */
export function consoleHeader(
  status: { version: string; state: string },
  info: { uptimeSeconds: number; lastReload?: { ok: boolean; at: string; message: string } },
): string {
  const e = escapeHtml;
  return `version ${e(status.version)} · state <b>${e(status.state)}</b> · up ${
    Math.round(info.uptimeSeconds)
  }s` + (info.lastReload
    ? ` · last reload ${e(info.lastReload.at)}: ${info.lastReload.ok ? "ok" : "failed"} — ${
      e(info.lastReload.message)
    }`
    : "");
}
