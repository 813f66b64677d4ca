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
import { printableConfig } from "../../config/printable.ts";
import { redactText } from "../../redact.ts";
import { type Item, itemBytes, itemProfiles } from "../../items.ts";
import type { Service, ServiceStatus } from "../../service/service.ts";
import type { DiscoveryStatus, TargetStatus } from "../../status.ts";
import type { LogFields, Logger } from "../../telemetry/logger.ts";
import type { MetricsRegistry } from "../../telemetry/metrics.ts";
import { escapeHtml } from "../page.ts";
import { CPU_PROFILE_MAX_SECONDS, selfProfiler } from "../self_profile.ts";
import { CONSOLE_CSS } from "./assets_css.ts";
import { CONSOLE_JS } from "./assets_js.ts";
import type { ConsoleState } from "./console_state.ts";
import { flameTree } from "./flame_tree.ts";
import {
  type ComponentView,
  type DiscoveryRow,
  type Health,
  type PipelineView,
  renderComponentPage,
  renderGraphPage,
  renderLivePage,
  renderTargetsPage,
  type TargetRow,
  type TargetType,
} from "./pages.ts";
import { type ProfileStore, seriesId, type SeriesInfo } from "./profile_store.ts";
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
const LIVE_MAX_PER_SECOND = 50;

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

  /** One view per component id (processors of several pipelines merged). */
  views(status: ServiceStatus = this.#options.service.status()): Map<string, ComponentView> {
    const views = new Map<string, ComponentView>();
    const exporters = status.published.exporters ?? [];
    const targets = status.published.targets ?? [];
    const discoveries = status.published.discovery ?? [];
    for (const c of status.components) {
      const old = views.get(c.id);
      const pipelines = [...(old?.pipelines ?? []), ...(c.pipeline ? [c.pipeline] : [])];
      if (!c.pipeline) {
        for (const p of status.pipelines) {
          if (p.receivers.includes(c.id) || p.exporters.includes(c.id)) pipelines.push(p.name);
        }
      }
      const state = old && old.state !== "running" ? old.state : c.state;
      const error = old?.error ?? c.error;
      let health: Health = "ok";
      let reason: string | undefined;
      if (state === "failed") [health, reason] = ["failing", error ?? "failed"];
      else if (state !== "running") [health, reason] = ["unknown", state];
      else if (c.kind === "exporter") {
        const endpoints = exporters.filter((x) => x.id === c.id).flatMap((x) => x.endpoints);
        const failing = endpoints.filter((ep) => ep.health === "failing").length;
        const paused = endpoints.filter((ep) => ep.health === "paused").length;
        if (endpoints.length > 0 && failing === endpoints.length) {
          [health, reason] = ["failing", `every endpoint failing`];
        } else if (failing + paused > 0) {
          [health, reason] = [
            "degraded",
            `${failing} failing, ${paused} paused of ${endpoints.length} endpoints`,
          ];
        }
      } else if (c.kind === "receiver") {
        const mine = targets.filter((t) => t.component_id === c.id);
        const down = mine.filter((t) => t.health === "down").length;
        if (mine.length > 0 && down === mine.length) {
          [health, reason] = ["failing", "every target down"];
        } else if (down > 0) {
          [health, reason] = ["degraded", `${down} of ${mine.length} scrapes down`];
        }
        // A failing discovery (API unreachable, 401/403, unreadable file) keeps the last
        // targets or none: degraded at least, with its error as the reason.
        const failedDiscovery = discoveries.filter((d) =>
          d.component_id === c.id && d.health === "down"
        );
        if (failedDiscovery.length > 0) {
          const first = failedDiscovery[0]!;
          const why = `${first.mechanism} discovery failing: ${first.last_error}`;
          if (health === "ok") health = "degraded";
          reason = reason === undefined ? why : `${reason}; ${why}`;
        }
      }
      views.set(c.id, {
        id: c.id,
        kind: c.kind,
        type: c.type,
        pipelines: [...new Set(pipelines)],
        state,
        health,
        ...(reason === undefined ? {} : { reason }),
        ...(error === undefined ? {} : { error }),
      });
    }
    return views;
  }

  /** Pipeline counters of a component (monotonic; the page computes rates). */
  counters(id: string, kind: string): Record<string, number> {
    const m = this.#options.metrics;
    const sel = { component_id: id };
    const c = (name: string) => m.counter(name, "", ["component_id"]).get(sel);
    const sum = (name: string) => m.counter(name, "", ["component_id", "reason"]).sumMatching(sel);
    if (kind === "receiver") {
      return {
        profiles: c("profcol_receiver_accepted_profiles_total"),
        bytes: c("profcol_receiver_accepted_bytes_total"),
        refused: sum("profcol_receiver_refused_profiles_total"),
      };
    }
    if (kind === "processor") {
      return {
        dropped: sum("profcol_processor_dropped_profiles_total"),
        dropped_bytes: sum("profcol_processor_dropped_bytes_total"),
      };
    }
    return {
      profiles: c("profcol_exporter_enqueued_profiles_total"),
      bytes: c("profcol_exporter_enqueued_bytes_total"),
      refused: sum("profcol_exporter_refused_profiles_total"),
    };
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

  /** The published targets, one row per target (its profile types merged). */
  targetRows(status: ServiceStatus = this.#options.service.status()): TargetRow[] {
    const store = this.store;
    const entries: readonly TargetStatus[] = status.published.targets ?? [];
    const rows = new Map<string, {
      row: Omit<TargetRow, "types" | "health" | "flame">;
      types: TargetType[];
      latest: [string, number];
      newestProfile: [string, string] | undefined;
    }>();
    for (const entry of entries) {
      const component = entry.component_id;
      const labels = entry.labels;
      const url = entry.url;
      let address = url;
      try {
        const parsed = new URL(url);
        address = `${parsed.protocol === "https:" ? "https://" : ""}${parsed.host}`;
      } catch {
        // not a URL: shown as it is
      }
      const publicLabels = Object.fromEntries(
        Object.entries(labels).filter(([k]) => !k.startsWith("__")).sort(([a], [b]) =>
          a < b ? -1 : 1
        ),
      );
      const key = `${component}\0${address}\0${JSON.stringify(publicLabels)}`;
      const type = entry.profile_type;
      const series = type ? seriesId(component, labels) : undefined;
      const kept = series ? store.info(series) : undefined;
      let group = rows.get(key);
      if (group === undefined) {
        group = {
          row: {
            key,
            component,
            job: entry.job,
            address,
            lastScrape: null,
            lastDurationSeconds: null,
            lastError: "",
            labels: publicLabels,
          },
          types: [],
          latest: ["", 0],
          newestProfile: undefined,
        };
        rows.set(key, group);
      }
      const lastError = entry.last_error;
      const health = entry.health;
      if (type) {
        group.types.push({
          name: type,
          health,
          lastError,
          ...(kept ? { series: series! } : {}),
        });
      } else group.types.push({ name: health, health, lastError });
      if (kept && (!group.newestProfile || kept.last > group.newestProfile[0])) {
        group.newestProfile = [kept.last, series!];
      }
      const last = entry.last_scrape ?? "";
      if (last && last > group.latest[0]) {
        group.latest = [last, entry.last_scrape_duration_seconds];
      }
      if (entry.served_types !== undefined && group.row.served === undefined) {
        group.row = {
          ...group.row,
          served: entry.served_types,
          ...(entry.probe_error ? { probeError: entry.probe_error } : {}),
        };
      }
      if (lastError && !group.row.lastError) {
        group.row = { ...group.row, lastError: type ? `${type}: ${lastError}` : lastError };
      }
    }
    return [...rows.values()].map(({ row, types, latest, newestProfile }) => {
      const down = types.filter((t) => t.health === "down").length;
      const up = types.filter((t) => t.health === "up").length;
      const health = down === 0 && up === types.length && up > 0
        ? "up"
        : down === types.length && down > 0
        ? "down"
        : down > 0
        ? "degraded"
        : "unknown";
      return {
        ...row,
        health,
        types,
        lastScrape: latest[0] || null,
        lastDurationSeconds: latest[0] ? latest[1] : null,
        ...(newestProfile ? { flame: newestProfile[1] } : {}),
      };
    }).sort((a, b) =>
      a.component < b.component
        ? -1
        : a.component > b.component
        ? 1
        : a.address < b.address
        ? -1
        : 1
    );
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
    const taps = this.#options.service.taps;
    const encoder = new TextEncoder();
    const needle = filter.toLowerCase();
    let end = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let second = 0, sent = 0, skipped = 0;
        const send = (event: string, data: unknown) =>
          controller.enqueue(
            encoder.encode(`event: ${event}\ndata: ${redactText(JSON.stringify(data))}\n\n`),
          );
        const unwatch = taps.watch(id, (event, item: Item) => {
          if (!this.#liveEnabled) return end();
          const labels = item.labels.toString();
          if (needle && !labels.toLowerCase().includes(needle)) return;
          const now = Date.now();
          const tick = Math.floor(now / 1000);
          if (tick !== second) {
            if (skipped > 0) send("skipped", { skipped });
            second = tick;
            sent = 0;
            skipped = 0;
          }
          if (++sent > LIVE_MAX_PER_SECOND) {
            skipped++;
            return;
          }
          send("item", {
            time: now,
            event,
            type: item.kind === "push"
              ? `push ${item.labels.get("__name__") ?? ""}`.trim()
              : `ingest ${item.query.find(([k]) => k === "format")?.[1] ?? ""}`.trim(),
            bytes: itemBytes(item),
            profiles: itemProfiles(item),
            labels,
          });
        });
        const keepalive = setInterval(
          () => controller.enqueue(encoder.encode(": keepalive\n\n")),
          15_000,
        );
        let ended = false;
        end = () => {
          if (ended) return;
          ended = true;
          unwatch();
          clearInterval(keepalive);
          this.#streams.delete(end);
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        };
        this.#streams.add(end);
        controller.enqueue(encoder.encode(": live debugging of " + JSON.stringify(id) + "\n\n"));
      },
      cancel: () => end(),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
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
