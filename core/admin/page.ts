/**
 * The status page at `/status` (the console's graph is `/`): pipelines, components with their state, published status (e.g.
 * scrape targets) and the last reload. Every dynamic string is HTML-escaped; configs are
 * never shown, so no secret can leak through this page.
 *
 * @module
 */

import type { ServiceStatus } from "../service/service.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Extra facts shown at the top of the page. */
export interface PageInfo {
  readonly uptimeSeconds: number;
  readonly lastReload?: { ok: boolean; at: string; message: string };
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return escapeHtml(text);
}

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "<p><em>none</em></p>";
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${columns.map((c) => `<td>${cell(row[c])}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * A published row as table rows: an exporter with `endpoints` becomes one row per endpoint
 * (its id first, then `health`, `failing_since`, `consecutive_failures`, `last_error`, …), so
 * a failing endpoint reads as such instead of hiding in a JSON cell.
 */
function expandEndpoints(row: unknown): Record<string, unknown>[] {
  if (row === null || typeof row !== "object" || Array.isArray(row)) return [{ value: row }];
  const { endpoints, ...rest } = row as Record<string, unknown>;
  if (!Array.isArray(endpoints) || endpoints.length === 0) return [row as Record<string, unknown>];
  return endpoints.map((endpoint) =>
    endpoint !== null && typeof endpoint === "object"
      ? { ...rest, ...(endpoint as Record<string, unknown>) }
      : { ...rest, endpoint }
  );
}

/** Renders the status page. */
export function renderStatusPage(status: ServiceStatus, info: PageInfo): string {
  const sections: string[] = [];
  sections.push(
    `<p>version ${escapeHtml(status.version)} · state <b>${escapeHtml(status.state)}</b> · ` +
      `up ${Math.round(info.uptimeSeconds)}s` +
      (info.lastReload
        ? ` · last reload ${escapeHtml(info.lastReload.at)}: ${
          info.lastReload.ok ? "ok" : "failed"
        } — ${escapeHtml(info.lastReload.message)}`
        : "") +
      `</p>`,
  );
  sections.push(
    `<h2>Pipelines</h2>` + table(status.pipelines.map((p) => ({
      name: p.name,
      receivers: p.receivers.join(", "),
      processors: p.processors.join(", "),
      exporters: p.exporters.join(", "),
    }))),
  );
  sections.push(`<h2>Components</h2>` + table(status.components));
  for (const [name, value] of Object.entries(status.published)) {
    const rows = Array.isArray(value) ? value : [value];
    const objects = rows.flatMap(expandEndpoints);
    sections.push(`<h2>${escapeHtml(name)}</h2>` + table(objects));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>profcol</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}</style></head>
<body><h1>profcol</h1>
<p><a href="/metrics">metrics</a> · <a href="/api/v1/status">status JSON</a> ·
<a href="/api/v1/targets">targets JSON</a></p>
${sections.join("\n")}
</body></html>
`;
}
