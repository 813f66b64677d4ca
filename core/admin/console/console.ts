/**
 * The operator console served by the admin server: pages (`/`, `/components/<id>`,
 * `/components/<id>/live`, `/targets`, `/flame/<series>`), their JSON (`/api/v1/components`,
 * `/api/v1/profiles…`, the live-debugging event stream) and the collector's own profiles
 * (`/debug/pprof/profile`, `/debug/pprof/heap`, `/debug/pprof/allocs`). Every route is
 * read-only (GET/HEAD).
 *
 * Flame-graph data flow: the pipeline hands each accepted request to `Taps.accepted`
 * (`core/pipeline/taps.ts`), which keeps the raw pprof bytes (shared, or copied when a view) in the
 * {@linkcode ProfileStore} ring (bounded by `service.telemetry.console.profiles_memory`);
 * `/api/v1/profiles/<series>/flame` decodes one of them on demand into a compact tree
 * (`flame_tree.ts`) that the page draws.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";
import { printableConfig } from "../../config/printable.ts";
import { type Item, itemBytes, itemProfiles } from "../../items.ts";
import { tapsFor } from "../../pipeline/taps.ts";
import type { Service, ServiceStatus } from "../../service/service.ts";
import type { LogFields, Logger } from "../../telemetry/logger.ts";
import type { MetricsRegistry } from "../../telemetry/metrics.ts";
import { escapeHtml } from "../page.ts";
import { ProfilerBusyError, selfProfiler } from "../self_profile.ts";
import { CONSOLE_CSS } from "./assets_css.ts";
import { CONSOLE_JS } from "./assets_js.ts";
import { flameTree } from "./flame_tree.ts";
import {
  type ComponentView,
  type DiscoveryRow,
  type Health,
  type LoggedError,
  type PipelineView,
  renderComponentPage,
  renderFlamePage,
  renderGraphPage,
  renderLivePage,
  renderTargetsPage,
  type TargetRow,
  type TargetType,
} from "./pages.ts";
import { ProfileStore, seriesId } from "./profile_store.ts";

/** What the console needs from the admin server. */
export interface ConsoleOptions {
  readonly service: Service;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  /** Shown at the top of `/`. */
  readonly header: () => string;
}

/** Per metrics registry (so a new admin server after a reload keeps the ring and errors). */
interface Shared {
  readonly store: ProfileStore;
  readonly errors: Map<string, LoggedError[]>;
  service: Service | undefined;
}

const shared = new WeakMap<MetricsRegistry, Shared>();
const ERRORS_KEPT = 20;
const LIVE_MAX_PER_SECOND = 50;
const DEFAULT_PROFILES_MEMORY = 16 * 1024 * 1024;

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
    if (key === "ts" || key === "level" || key === "msg" || key === "component") continue;
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
  return ((status.published.discovery ?? []) as unknown[]).filter(isRecord).map((d) => ({
    component: str(d.component_id),
    mechanism: str(d.mechanism),
    role: str(d.role),
    apiServer: str(d.api_server),
    health: str(d.health) || "unknown",
    lastError: str(d.last_error),
    targets: typeof d.targets === "number" ? d.targets : 0,
  }));
}

function str(value: unknown): string {
  return typeof value === "string"
    ? value
    : value === undefined || value === null
    ? ""
    : String(value);
}

/** The console's piece of the admin server. */
export class Console {
  readonly #options: ConsoleOptions;
  readonly #shared: Shared;
  readonly #profiler = selfProfiler();
  /** Ends this console's running CPU profile on close (the profiler is shared). */
  readonly #closing = new AbortController();
  readonly #streams = new Set<() => void>();
  readonly #unobserve: () => void;

  constructor(options: ConsoleOptions) {
    this.#options = options;
    let state = shared.get(options.metrics);
    if (state === undefined) {
      const store = new ProfileStore(DEFAULT_PROFILES_MEMORY);
      const made: Shared = { store, errors: new Map(), service: options.service };
      state = made;
      shared.set(options.metrics, made);
      tapsFor(options.metrics).onAccepted = (receiverId, items) => {
        const wanted = made.service?.config?.service.telemetry.console?.profiles_memory ??
          DEFAULT_PROFILES_MEMORY;
        if (wanted !== store.capacityBytes) store.resize(wanted);
        store.record(receiverId, items);
      };
    }
    state.service = options.service;
    this.#shared = state;
    const errors = state.errors;
    this.#unobserve = options.logger.observe((level, record) => {
      if (level !== "warn" && level !== "error") return;
      const component = record.component;
      if (typeof component !== "string") return;
      let list = errors.get(component);
      if (list === undefined) errors.set(component, list = []);
      list.unshift({ at: str(record.ts), level, msg: str(record.msg), detail: detailOf(record) });
      if (list.length > ERRORS_KEPT) list.length = ERRORS_KEPT;
    });
  }

  /** The profile ring (for tests). */
  get store(): ProfileStore {
    return this.#shared.store;
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
        return () => Response.json(this.#shared.store.list());
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
    match = /^\/flame\/([0-9a-f]+)$/.exec(path);
    if (match) {
      const id = match[1]!;
      return () => this.#flamePage(id);
    }
    match = /^\/api\/v1\/profiles\/([0-9a-f]+)\/(flame|pprof)$/.exec(path);
    if (match) {
      const [, id, what] = match as unknown as [string, string, string];
      return (_request, url) => what === "flame" ? this.#flameJson(id, url) : this.#pprof(id, url);
    }
    return undefined;
  }

  // ---- components --------------------------------------------------------------------------

  /** One view per component id (processors of several pipelines merged). */
  views(status: ServiceStatus = this.#options.service.status()): Map<string, ComponentView> {
    const views = new Map<string, ComponentView>();
    const exporters = (status.published.exporters ?? []) as unknown[];
    const targets = (status.published.targets ?? []) as unknown[];
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
        const endpoints = exporters.filter((x) => isRecord(x) && x.id === c.id)
          .flatMap((x) =>
            Array.isArray((x as { endpoints?: unknown }).endpoints)
              ? (x as { endpoints: unknown[] }).endpoints
              : []
          )
          .filter(isRecord);
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
        const mine = targets.filter((t) => isRecord(t) && t.component_id === c.id) as Record<
          string,
          unknown
        >[];
        const down = mine.filter((t) => t.health === "down").length;
        if (mine.length > 0 && down === mine.length) {
          [health, reason] = ["failing", "every target down"];
        } else if (down > 0) {
          [health, reason] = ["degraded", `${down} of ${mine.length} scrapes down`];
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
    const exporters = (status.published.exporters ?? []) as unknown[];
    const endpoints = exporters.filter((x) => isRecord(x) && x.id === view.id)
      .flatMap((x) => {
        const list = (x as { endpoints?: unknown }).endpoints;
        return Array.isArray(list) ? list.filter(isRecord) : [];
      });
    return renderComponentPage({
      view,
      configYaml,
      errors: this.#shared.errors.get(view.id) ?? [],
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
    const store = this.#shared.store;
    const entries = ((status.published.targets ?? []) as unknown[]).filter(isRecord);
    const rows = new Map<string, {
      row: Omit<TargetRow, "types" | "health" | "flame">;
      types: TargetType[];
      latest: [string, number];
      newestProfile: [string, string] | undefined;
    }>();
    for (const entry of entries) {
      const component = str(entry.component_id ?? entry.job);
      const labels = isRecord(entry.labels) ? entry.labels as Record<string, string> : {};
      const url = str(entry.url ?? entry.target);
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
      const type = str(entry.profile_type);
      const series = type ? seriesId(component, labels) : undefined;
      const kept = series ? store.get(series) : undefined;
      let group = rows.get(key);
      if (group === undefined) {
        group = {
          row: {
            key,
            component,
            job: str(entry.job),
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
      const lastError = str(entry.last_error);
      const health = str(entry.health) || "unknown";
      if (type) {
        group.types.push({
          name: type,
          health,
          lastError,
          ...(kept ? { series: series! } : {}),
        });
      } else group.types.push({ name: health, health, lastError });
      if (kept && (!group.newestProfile || kept.info.last > group.newestProfile[0])) {
        group.newestProfile = [kept.info.last, series!];
      }
      const last = str(entry.last_scrape);
      if (last && last > group.latest[0]) {
        group.latest = [last, Number(entry.last_scrape_duration_seconds ?? 0)];
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

  #flamePage(id: string): Response {
    const kept = this.#shared.store.get(id);
    if (!kept) {
      return new Response(
        renderFlamePageMissing(),
        { status: 404, headers: HTML_HEADERS },
      );
    }
    return html(renderFlamePage(
      kept.info,
      kept.profiles.map((p) => ({ at: p.at, bytes: p.bytes.byteLength })),
    ));
  }

  #pick(id: string, url: URL): { bytes: Uint8Array; at: number } | Response {
    const kept = this.#shared.store.get(id);
    if (!kept) return text(404, `no profile kept for series ${id}`);
    const asked = Number(url.searchParams.get("index") ?? -1);
    const index = Number.isInteger(asked) && asked >= 0 && asked < kept.profiles.length
      ? asked
      : kept.profiles.length - 1;
    return kept.profiles[index]!;
  }

  #flameJson(id: string, url: URL): Response {
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
    const taps = tapsFor(this.#options.metrics);
    const encoder = new TextEncoder();
    const needle = filter.toLowerCase();
    let end = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let second = 0, sent = 0, skipped = 0;
        const send = (event: string, data: unknown) =>
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
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
    try {
      // Not tied to request.signal: a profile ends after `seconds` (or on shutdown) anyway.
      const body = await this.#profiler.cpu(Math.min(seconds, 300), this.#closing.signal);
      return pprofResponse(body, "profile");
    } catch (error) {
      if (error instanceof ProfilerBusyError) {
        return text(500, `Could not enable CPU profiling: ${error.message}`);
      }
      throw error;
    }
  }

  async #heapProfile(): Promise<Response> {
    return pprofResponse(await this.#profiler.heap(), "heap");
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
