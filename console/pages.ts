/**
 * The console's HTML pages, rendered on the server. Every string that comes from a config,
 * a target, a label or an error goes through {@linkcode escapeHtml} (element text and
 * attribute values alike) and every id in a URL through `encodeURIComponent`; the script only
 * adds numbers and text nodes. Pages load `/console/console.css` and `/console/console.js`
 * and nothing from elsewhere.
 *
 * @module
 */

import { ENDPOINT_FIGURES, type EndpointStatus } from "../core/status.ts";
import { escapeHtml } from "../core/admin/page.ts";

/** Health of a component or target as the console colours it. */
export type Health = "ok" | "degraded" | "failing" | "unknown";

/** One component as the console shows it. */
export interface ComponentView {
  readonly id: string;
  readonly kind: string;
  readonly type: string;
  readonly pipelines: readonly string[];
  readonly state: string;
  readonly health: Health;
  /** Why it is not ok. */
  readonly reason?: string;
  readonly error?: string;
}

/** A pipeline as drawn. */
export interface PipelineView {
  readonly name: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

const e = escapeHtml;
/** The console URL of a component. */
export function componentHref(id: string): string {
  return `/components/${encodeURIComponent(id)}`;
}

/** The page frame: header with navigation, `body` inside `<main>`. */
export function layout(title: string, page: string, body: string, attrs = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${e(title)} · profcol</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
<script src="/console/console.js" defer></script></head>
<body data-page="${e(page)}"${attrs}>
<header><a class="brand" href="/">profcol</a><a href="/">pipelines</a><a href="/targets">targets</a><a href="/profiles">profiles</a>
<a href="/status">status</a><a href="/metrics">metrics</a><a href="/api/v1/status">status JSON</a></header>
<main>
${body}
</main>
</body></html>
`;
}

const NODE_W = 200;
const NODE_H = 58;
const COL_W = 250;
const ROW_H = NODE_H + 16;
const BAND_TOP = 46;

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

function rateLine(id: string, kind: string): [string, string] {
  const rate = (what: string) => `<tspan data-rate="${e(id)}" data-what="${what}">–</tspan>`;
  if (kind === "processor") {
    return [`dropped ${rate("dropped")}`, ""];
  }
  return [`profiles ${rate("profiles")} · ${rate("bytes")}`, `refused ${rate("refused")}`];
}

function nodeSvg(view: ComponentView | undefined, id: string, kind: string, x: number, y: number) {
  const health = view?.health ?? "unknown";
  const [line1, line2] = rateLine(id, kind);
  return `<a href="${e(componentHref(id))}"><g class="node health-${health}" data-node="${
    e(id)
  }" data-health-of="${e(id)}" transform="translate(${x},${y})"><title>${e(id)} (${e(kind)}, ${
    e(health)
  }${view?.reason ? `: ${e(view.reason)}` : ""})</title>
<rect width="${NODE_W}" height="${NODE_H}" rx="6"></rect><circle class="dot" cx="12" cy="15" r="5"></circle>
<text class="id" x="22" y="19">${e(truncate(id, 26))}</text>
<text class="rate" x="10" y="36">${line1}</text><text class="rate" x="10" y="50">${line2}</text></g></a>`;
}

/** The pipelines as an SVG graph: receivers → processors (in order) → exporters. */
export function renderGraph(
  pipelines: readonly PipelineView[],
  views: ReadonlyMap<string, ComponentView>,
): string {
  const columns = Math.max(2, ...pipelines.map((p) => p.processors.length + 2));
  const width = 20 + columns * COL_W;
  let y = 10;
  const parts: string[] = [];
  for (const pipeline of pipelines) {
    const stages: [kind: string, ids: readonly string[]][] = [
      ["receiver", pipeline.receivers],
      ...pipeline.processors.map((id): [string, string[]] => ["processor", [id]]),
      ["exporter", pipeline.exporters],
    ];
    const rows = Math.max(1, ...stages.map(([, ids]) => ids.length));
    const height = BAND_TOP + rows * ROW_H;
    parts.push(
      `<g class="pipeline" data-pipeline="${
        e(pipeline.name)
      }"><text class="pipeline-name" x="20" y="${y + 18}">pipeline ${e(pipeline.name)}</text>`,
    );
    const positions: [number, number][][] = [];
    stages.forEach(([kind, ids], column) => {
      const x = 20 + (kind === "exporter" ? columns - 1 : column) * COL_W;
      const offset = ((rows - ids.length) * ROW_H) / 2;
      parts.push(
        `<text class="column" x="${x}" y="${y + 36}">${
          kind === "processor" ? `processor ${column}` : `${kind}s`
        }</text>`,
      );
      positions.push(ids.map((_, row) => [x, y + BAND_TOP + offset + row * ROW_H]));
    });
    for (let s = 0; s + 1 < stages.length; s++) {
      for (const [x1, y1] of positions[s]!) {
        for (const [x2, y2] of positions[s + 1]!) {
          const sx = x1 + NODE_W, sy = y1 + NODE_H / 2, ty = y2 + NODE_H / 2, mid = (sx + x2) / 2;
          parts.push(
            `<path class="edge" d="M${sx},${sy} C${mid},${sy} ${mid},${ty} ${x2},${ty}"></path>`,
          );
        }
      }
    }
    stages.forEach(([kind, ids], s) => {
      ids.forEach((id, row) => {
        const [x, ny] = positions[s]![row]!;
        parts.push(nodeSvg(views.get(id), id, kind, x, ny));
      });
    });
    parts.push(`</g>`);
    y += height + 14;
  }
  return `<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" role="img" aria-label="pipelines">${
    parts.join("\n")
  }</svg>`;
}

/** `/`: the pipelines graph and a component list. */
export function renderGraphPage(
  pipelines: readonly PipelineView[],
  views: ReadonlyMap<string, ComponentView>,
  header: string,
): string {
  const list = [...views.values()].map((v) =>
    `<tr><td><a href="${e(componentHref(v.id))}">${e(v.id)}</a></td><td>${e(v.kind)}</td><td>${
      e(v.state)
    }</td><td><span class="badge health-${v.health}" data-health-of="${e(v.id)}" data-health-text>${
      e(v.health)
    }</span></td><td>${e(v.reason ?? "")}</td></tr>`
  ).join("\n");
  const body = `<h1>Pipelines</h1>
<p class="muted">${header}</p>
${pipelines.length === 0 ? "<p><em>no pipeline is running</em></p>" : renderGraph(pipelines, views)}
<p class="muted">Rates are per second over the last few seconds; colours: green ok, amber degraded, red failing, grey unknown or stopped.</p>
<h2>Components</h2>
<table><thead><tr><th>id</th><th>kind</th><th>state</th><th>health</th><th>why</th></tr></thead>
<tbody>${list}</tbody></table>`;
  return layout("pipelines", "graph", body);
}

/** A value as table text: strings as they are, everything else as JSON. */
function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A key/value table, keys in `first` order before the rest. */
export function kvTable(record: Readonly<Record<string, unknown>>, first: readonly string[] = []) {
  const keys = [
    ...first.filter((k) => k in record),
    ...Object.keys(record).filter((k) => !first.includes(k)),
  ];
  return `<table class="kv">${
    keys.map((k) => {
      const v = record[k];
      const cell = k === "health" && typeof v === "string"
        ? `<span class="badge health-${e(v)}">${e(v)}</span>`
        : /(_since|_until|^last_success$|^last_scrape$)/.test(k) && typeof v === "string"
        ? `<span data-at="${e(v)}">${e(v)}</span> <span class="muted">${e(v)}</span>`
        : k === "last_error" && v
        ? `<span class="error-text">${e(text(v))}</span>`
        : /bytes$/.test(k) && typeof v === "number"
        ? `${e(String(v))} <span class="muted">bytes</span>`
        : e(text(v));
      return `<tr><td>${e(k)}</td><td>${cell}</td></tr>`;
    }).join("")
  }</table>`;
}

/** A logged warning or error of a component. */
export interface LoggedError {
  readonly at: string;
  readonly level: string;
  readonly msg: string;
  readonly detail: string;
}

/** What the component page shows. */
export interface ComponentPage {
  readonly view: ComponentView;
  /** Effective config, secrets redacted, as YAML. */
  readonly configYaml: string;
  readonly errors: readonly LoggedError[];
  /** Exporter endpoints (delivery queues) as published. */
  readonly endpoints: readonly EndpointStatus[];
  /** Scrape targets of this receiver, grouped. */
  readonly targets: readonly TargetRow[];
  readonly liveEnabled: boolean;
  /** Bytes of client-side delta state this component holds in memory (scrape receivers). */
  readonly deltaStateBytes?: number;
}

/** The figures an endpoint publishes, in page order. */
function endpointFigures(endpoint: EndpointStatus): Record<string, unknown> {
  return Object.fromEntries(
    ENDPOINT_FIGURES.filter((k) => endpoint[k] !== undefined).map((k) => [k, endpoint[k]]),
  );
}

/** `/components/<id>`. */
export function renderComponentPage(page: ComponentPage): string {
  const { view } = page;
  const id = view.id;
  const rate = (what: string) => `<span data-rate="${e(id)}" data-what="${what}">–</span>`;
  const rates = view.kind === "processor"
    ? `<span>dropped ${rate("dropped")}</span><span>dropped bytes ${rate("dropped_bytes")}</span>`
    : `<span>profiles ${rate("profiles")}</span><span>bytes ${rate("bytes")}</span><span>refusals ${
      rate("refused")
    }</span>`;
  const errors = page.errors.length === 0 && !view.error
    ? `<p class="muted">none since the collector started</p>`
    : `<table><thead><tr><th>when</th><th>level</th><th>message</th><th>detail</th></tr></thead><tbody>${
      view.error
        ? `<tr><td>now</td><td>state</td><td class="error-text">${e(view.error)}</td><td></td></tr>`
        : ""
    }${
      page.errors.map((x) =>
        `<tr><td><span data-at="${e(x.at)}">${e(x.at)}</span></td><td>${e(x.level)}</td><td>${
          e(x.msg)
        }</td><td class="error-text">${e(x.detail)}</td></tr>`
      ).join("")
    }</tbody></table>`;
  const endpoints = page.endpoints.length === 0
    ? ""
    : `<h2>Endpoints and queues</h2><div class="cards">${
      page.endpoints.map((ep) => `<div class="card">${kvTable(endpointFigures(ep))}</div>`).join("")
    }</div>`;
  const targets = view.type === "pyroscope.scrape" || page.targets.length > 0
    ? `<h2>Targets</h2>${targetsTable(page.targets)}`
    : "";
  const body = `<h1>${e(id)}</h1>
<table class="kv"><tr><td>kind</td><td>${e(view.kind)}</td></tr><tr><td>type</td><td>${
    e(view.type)
  }</td></tr>
<tr><td>pipelines</td><td>${e(view.pipelines.join(", "))}</td></tr>
<tr><td>state</td><td>${e(view.state)}</td></tr>${
    page.deltaStateBytes === undefined
      ? ""
      : `\n<tr><td>delta state</td><td>${
        (page.deltaStateBytes / 1048576).toFixed(1)
      } MiB in memory (<code>service.delta_memory</code>)</td></tr>`
  }
<tr><td>health</td><td><span class="badge health-${view.health}" data-health-of="${
    e(id)
  }" data-health-text>${e(view.health)}</span> ${e(view.reason ?? "")}</td></tr></table>
<h2>Rates</h2><p class="rates">${rates}</p>
<p><a href="${e(componentHref(id))}/live">live debugging</a>${
    page.liveEnabled ? "" : ` <span class="muted">(off)</span>`
  }</p>
<div id="dynamic" data-refresh>
<h2>Last errors</h2>${errors}
${endpoints}
${targets}
</div>
<h2>Effective config</h2><p class="muted">as <code>print-config</code> shows it: defaults filled in, secrets redacted</p>
<pre>${e(page.configYaml)}</pre>`;
  return layout(id, "component", body);
}

/** One profile type of a target. */
export interface TargetType {
  readonly name: string;
  readonly health: string;
  readonly lastError: string;
  /** Flame graph series id when a profile of it is kept. */
  readonly series?: string;
}

/** One target (all its profile types) as the targets page shows it. */
export interface TargetRow {
  readonly key: string;
  readonly component: string;
  readonly job: string;
  readonly address: string;
  readonly health: string;
  readonly types: readonly TargetType[];
  readonly lastScrape: string | null;
  readonly lastDurationSeconds: number | null;
  readonly lastError: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The series of the most recent kept profile, for the flame graph link. */
  readonly flame?: string;
  /**
   * With `probe_index`: the names the target's pprof index lists, or `null` when it could not
   * be read (`probeError` says why; every enabled type is scraped).
   */
  readonly served?: readonly string[] | null;
  readonly probeError?: string;
}

/** The line under a target's badges saying what its pprof index lists. */
function servedLine(row: TargetRow): string {
  if (row.served === undefined) return "";
  if (row.served === null) {
    return `<br><span class="muted served" title="${
      e(row.probeError ?? "")
    }">index unreadable: every enabled type scraped</span>`;
  }
  return `<br><span class="muted served">index lists: ${e(row.served.join(", "))}</span>`;
}

function targetsTable(rows: readonly TargetRow[]): string {
  if (rows.length === 0) return `<p><em>no targets</em></p>`;
  const body = rows.map((row) => {
    const badges = row.types.map((t) => {
      const title = t.lastError
        ? `${t.name}: ${t.health} — ${t.lastError}`
        : `${t.name}: ${t.health}`;
      return t.series
        ? `<a class="badge health-${e(t.health)}" title="${e(title)}" href="/flame/${
          encodeURIComponent(t.series)
        }">${e(t.name)}</a>`
        : `<span class="badge health-${e(t.health)}" title="${e(title)}">${e(t.name)}</span>`;
    }).join("");
    const labels = Object.entries(row.labels);
    const search = [
      row.component,
      row.job,
      row.address,
      row.health,
      row.lastError,
      ...row.types.map((t) => t.name),
      ...labels.map(([k, v]) => `${k}=${v}`),
    ].join(" ").toLowerCase();
    return `<tr class="target" data-search="${e(search)}"><td><b>${e(row.job)}</b><br><code>${
      e(row.address)
    }</code><br><a class="muted" href="${e(componentHref(row.component))}">${
      e(row.component)
    }</a></td>
<td>${badges}${servedLine(row)}</td>
<td>${
      row.lastScrape
        ? `<span data-at="${e(row.lastScrape)}">${e(row.lastScrape)}</span>`
        : "never"
    }</td><td>${
      row.lastDurationSeconds === null
        ? ""
        : `<span data-seconds="${row.lastDurationSeconds}">${row.lastDurationSeconds} s</span>`
    }</td>
<td class="error-text">${e(row.lastError)}</td>
<td><details data-key="${e(row.key)}"><summary>${labels.length} labels</summary>${
      labels.map(([k, v]) => `<code>${e(k)}="${e(v)}"</code>`).join("<br>")
    }</details></td>
<td>${
      row.flame
        ? `<a href="/flame/${encodeURIComponent(row.flame)}">flame graph</a>`
        : ""
    }</td></tr>`;
  }).join("\n");
  return `<table class="targets"><thead><tr><th>target</th><th>profile types</th><th>last scrape</th><th>took</th><th>last error</th><th>labels</th><th></th></tr></thead>
<tbody>${body}</tbody></table>`;
}

/** A service-discovery mechanism as the targets page shows it (e.g. `kubernetes_sd`). */
export interface DiscoveryRow {
  readonly component: string;
  readonly mechanism: string;
  readonly role: string;
  readonly apiServer: string;
  /** `unknown`, `up` or `down`. */
  readonly health: string;
  readonly lastError: string;
  readonly targets: number;
}

/** Discovery mechanisms, shown above the targets so that a 401/403 from an API is plain. */
function discoveryTable(rows: readonly DiscoveryRow[]): string {
  if (rows.length === 0) return "";
  const body = rows.map((d) =>
    `<tr><td>${e(d.component)}</td><td>${e(d.mechanism)}${d.role ? ` (${e(d.role)})` : ""}</td>` +
    `<td>${e(d.apiServer)}</td><td><span class="badge health-${e(d.health)}">${
      e(d.health)
    }</span>` +
    `</td><td>${d.targets}</td><td>${e(d.lastError)}</td></tr>`
  ).join("\n");
  return `<h2>Discovery</h2><table class="discovery"><thead><tr><th>component</th><th>mechanism</th><th>API server</th><th>health</th><th>targets</th><th>last error</th></tr></thead>
<tbody>${body}</tbody></table><h2>Targets</h2>`;
}

/** `/targets`. */
export function renderTargetsPage(
  rows: readonly TargetRow[],
  discovery: readonly DiscoveryRow[] = [],
): string {
  const body = `<h1>Targets</h1>${discoveryTable(discovery)}
<div class="toolbar"><input type="search" id="filter" placeholder="filter by job, address, label, type, error…" autofocus>
<span id="filter-count" class="muted"></span></div>
<div id="targets" data-refresh>${targetsTable(rows)}</div>`;
  return layout("targets", "targets", body);
}

/** `/components/<id>/live`. */
export function renderLivePage(id: string, enabled: boolean): string {
  const body = enabled
    ? `<h1>Live: ${e(id)}</h1>
<div class="toolbar"><input type="search" id="live-filter" placeholder="filter: text in the labels, e.g. service_name=api (Enter)">
<button id="live-pause" type="button">pause</button><button id="live-clear" type="button">clear</button>
<span id="live-status" class="muted">connecting…</span></div>
<table class="live-table"><thead><tr><th>time</th><th>event</th><th>type</th><th>size</th><th>profiles</th><th>labels</th></tr></thead>
<tbody id="live-rows"></tbody></table>`
    : `<h1>Live: ${e(id)}</h1>
<div class="notice" id="live-off"><p><b>Live debugging is off.</b> It shows label values of the items passing
a component, so it is opt-in. To turn it on, set</p>
<pre>service:
  telemetry:
    live_debugging:
      enabled: true</pre>
<p>and reload (<code>POST /-/reload</code> or SIGHUP).</p></div>`;
  return layout(`live ${id}`, "live", body, ` data-component="${e(id)}"`);
}
