/**
 * The status page at `/status` (the console's graph is `/`): pipelines, components with their state, published status (e.g.
 * scrape targets) and the last reload. Every dynamic string is HTML-escaped; configs are
 * never shown, so no secret can leak through this page.
 *
 * @module
 */

import type { ServiceStatus } from "../service/service.ts";
import { formatDuration } from "../duration.ts";
import { layout } from "../../console/pages.ts";

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

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `1.5 KiB`. */
function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : +value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/**
 * A value as a person reads it: byte counts in KiB/MiB, seconds as durations, other fractions to
 * three decimals (not `0.30000000000000004`), lists joined, objects as compact JSON.
 */
export function formatCell(column: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number" && Number.isFinite(value)) {
    if (/bytes/i.test(column)) return formatBytes(value);
    if (/_ms$/i.test(column)) return formatDuration(value);
    if (/seconds|_s$|duration|lag|outage/i.test(column)) return formatDuration(value * 1000);
    return Number.isInteger(value) ? String(value) : String(+value.toFixed(3));
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) {
    return value.join(", ");
  }
  return JSON.stringify(value);
}

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "<p><em>none</em></p>";
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${columns.map((c) => `<td>${escapeHtml(formatCell(c, row[c]))}</td>`).join("")}</tr>`
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
      `up ${escapeHtml(formatDuration(Math.round(info.uptimeSeconds) * 1000))}` +
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
  return layout(
    "status",
    "status",
    `<h1>Status</h1>
<p><a href="/metrics">metrics</a> · <a href="/api/v1/status">status JSON</a> ·
<a href="/api/v1/targets">targets JSON</a></p>
${sections.join("\n")}`,
  );
}
