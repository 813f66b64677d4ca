/**
 * The console's profile pages: the series browser (`/profiles`), the flame graph of a series
 * over a time range (`/flame/<series>`) and the diff between two ranges (`/diff/<series>`).
 * The server renders the frame and the controls; the script (`assets_js.ts`) fetches the
 * trees from `series_api.ts` and draws them. Labels arrive redacted (`shownLabels`); every
 * string goes through {@linkcode escapeHtml}.
 *
 * @module
 */

import { escapeHtml } from "../core/admin/page.ts";
import { componentHref, layout } from "./pages.ts";
import type { SeriesInfo } from "./profile_store.ts";
import type { SeriesFilter } from "./series_api.ts";

const e = escapeHtml;

function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ");
}

function seriesHeader(series: SeriesInfo): string {
  return `<p><a href="${e(componentHref(series.component_id))}">${
    e(series.component_id)
  }</a> · <code data-labels>{${
    e(labelsText(series.labels))
  }}</code> · ${series.count} profiles kept, <span data-at="${e(series.first)}">${
    e(series.first)
  }</span> to <span data-at="${e(series.last)}">${e(series.last)}</span></p>`;
}

/** `/profiles`: every kept series, filtered by receiver and labels (a GET form). */
export function renderSeriesPage(
  series: readonly SeriesInfo[],
  filter: SeriesFilter,
  receivers: readonly string[],
  error = "",
): string {
  const options = [
    `<option value="">every receiver</option>`,
    ...receivers.map((r) =>
      `<option value="${e(r)}"${r === filter.receiver ? " selected" : ""}>${e(r)}</option>`
    ),
  ].join("");
  const match = filter.match.map(([k, v]) => `${k}=${v}`).join(", ");
  const rows = series.map((s) =>
    `<tr class="series" data-series="${e(s.id)}"><td><a href="${
      e(componentHref(s.component_id))
    }">${e(s.component_id)}</a></td><td>${e(s.labels.__name__ ?? "")}</td><td>${
      Object.entries(s.labels).filter(([k]) => k !== "__name__").map(([k, v]) =>
        `<code>${e(k)}="${e(v)}"</code>`
      ).join(" ")
    }</td><td class="num">${s.count}</td><td><span data-at="${e(s.first)}">${
      e(s.first)
    }</span> – <span data-at="${e(s.last)}">${
      e(s.last)
    }</span></td><td class="num">${s.bytes}</td><td><a href="/flame/${
      encodeURIComponent(s.id)
    }">flame</a> · <a href="/diff/${encodeURIComponent(s.id)}">diff</a></td></tr>`
  ).join("\n");
  const body = `<h1>Profiles</h1>
<p class="muted">Every series the receivers accepted (scraped, pushed, ingested as pprof, OTLP), as kept in the console's ring
(<code>service.telemetry.console.profiles_memory</code>; the oldest profiles go first).</p>
<form class="toolbar" method="get" action="/profiles">
<label>receiver <select name="receiver" id="series-receiver">${options}</select></label>
<label>labels <input type="search" name="match" id="series-match" value="${
    e(match)
  }" placeholder="service_name=api, __name__=process_cpu"></label>
<button type="submit">filter</button> <span class="muted" id="series-count">${series.length} series</span></form>
${error ? `<p class="error-text" id="series-error">${e(error)}</p>` : ""}
${
    series.length === 0
      ? `<p><em>no series kept${
        filter.receiver || filter.match.length ? " matches this filter" : ""
      }</em></p>`
      : `<table class="series"><thead><tr><th>receiver</th><th>__name__</th><th>labels</th><th>profiles</th><th>time span</th><th>bytes</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`
  }`;
  return layout("profiles", "profiles", body);
}

const QUICK = `<span class="quick">${
  ["5m", "15m", "1h"].map((d) => `<button type="button" data-last="${d}">last ${d}</button>`)
    .join("")
}<button type="button" data-last="all">all kept</button></span>`;

function rangeInputs(prefix: string, title: string): string {
  return `<fieldset class="range" id="${prefix}range"><legend>${title}</legend>
<label>from <input type="datetime-local" step="1" id="${prefix}from"></label>
<label>to <input type="datetime-local" step="1" id="${prefix}to"></label></fieldset>`;
}

/** `/flame/<series>`: the profiles of a range merged, or one kept profile. */
export function renderFlamePage(
  series: SeriesInfo,
  kept: readonly { at: number; bytes: number }[],
  limit: number,
): string {
  const last = kept.length - 1;
  const options = [
    `<option value="-1" selected>every profile in the range, merged</option>`,
    ...kept.map((p, i) =>
      `<option value="${i}">${e(new Date(p.at).toISOString())} (${p.bytes} bytes)</option>`
    ).reverse(),
  ].join("");
  const body = `<h1>Flame graph</h1>
${seriesHeader(series)}
<div class="toolbar">${QUICK}${
    rangeInputs("", "range")
  }<button id="apply" type="button">apply</button>
<a href="/diff/${encodeURIComponent(series.id)}">compare two ranges…</a></div>
<div class="toolbar">
<label>profile <select id="profile-index">${options}</select></label>
<label>sample type <select id="sample-type"></select></label>
<input type="search" id="search" placeholder="search frames (highlights)">
<button id="reset" type="button">reset zoom</button>
<a id="download" href="/api/v1/profiles/${
    encodeURIComponent(series.id)
  }/pprof?index=${last}" download>download newest pprof</a>
<span id="match-info" class="muted"></span></div>
<p id="range-info" class="muted"></p>
<p id="flame-info" class="muted"></p>
<div id="flame"></div><div id="tooltip"></div>
<p class="muted">A range merges at most ${limit} profiles (its newest) per request. Click a frame to zoom into it, the top bar or “reset zoom” to go back. Width is the frame's total; hover for self and total.</p>`;
  return layout(
    "flame graph",
    "flame",
    body,
    ` data-series="${e(series.id)}" data-series-first="${
      Date.parse(series.first)
    }" data-series-last="${Date.parse(series.last)}"`,
  );
}

/** `/diff/<series>`: a baseline range against a comparison range. */
export function renderDiffPage(series: SeriesInfo, limit: number): string {
  const quick = ["5m", "15m", "1h"].map((d) =>
    `<button type="button" data-diff="${d}">last ${d} vs the ${d} before</button>`
  ).join("");
  const body = `<h1>Diff flame graph</h1>
${seriesHeader(series)}
<div class="toolbar"><span class="quick">${quick}<button type="button" data-diff="halves">older half vs newer half</button></span></div>
<div class="toolbar">${rangeInputs("base-", "baseline")}${
    rangeInputs("", "comparison")
  }<button id="apply" type="button">apply</button>
<a href="/flame/${encodeURIComponent(series.id)}">flame graph</a></div>
<div class="toolbar">
<label>sample type <select id="sample-type"></select></label>
<input type="search" id="search" placeholder="search frames (highlights)">
<button id="reset" type="button">reset zoom</button>
<span id="match-info" class="muted"></span></div>
<p id="range-info" class="muted"></p>
<p id="flame-info" class="muted"></p>
<p class="legend"><span class="swatch grew"></span> share grew <span class="swatch shrank"></span> share shrank <span class="swatch same"></span> about the same
<span class="muted">(colour: change of the frame's share of the total, relative to the baseline, full at ±100%; width: its share in both ranges)</span></p>
<div id="flame" class="diff"></div><div id="tooltip"></div>
<p class="muted">Each range merges at most ${limit} profiles (its newest) per request. Shares, not absolute values, are compared, so ranges of different lengths compare fairly.</p>`;
  return layout(
    "diff flame graph",
    "diff",
    body,
    ` data-series="${e(series.id)}" data-series-first="${
      Date.parse(series.first)
    }" data-series-last="${Date.parse(series.last)}"`,
  );
}
