/**
 * The console's stylesheet, served at `/console/console.css` (a string module, so
 * `deno compile` includes it).
 *
 * @module
 */

/** See the module doc. */
export const CONSOLE_CSS = String.raw`
:root{--ok:#2e7d32;--degraded:#ed8c00;--failing:#c62828;--unknown:#9e9e9e;--bg:#fafafa;--fg:#1d1d1f;--line:#ddd;--accent:#3558c9}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:var(--bg);color:var(--fg)}
header{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1.2em;background:#1d2433;color:#fff}
header a{color:#cfd8ff;text-decoration:none}header a:hover{text-decoration:underline}
header .brand{font-weight:700;color:#fff}
main{padding:1em 1.2em}
h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;background:#fff}
td,th{border:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f3}
code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#fff;border:1px solid var(--line);padding:.8em;overflow:auto;max-height:40em}
.muted{color:#777}
.badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:12px;margin:0 .2em .2em 0;color:#fff;background:var(--unknown);text-decoration:none;white-space:nowrap}
.health-ok,.health-up{background:var(--ok)}
.health-degraded,.health-paused{background:var(--degraded)}
.health-failing,.health-down,.health-failed{background:var(--failing)}
.health-unknown,.health-stopped{background:var(--unknown)}
a.badge:hover{filter:brightness(1.15)}
.kv td:first-child{color:#555;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6em .9em;min-width:16em}
.rates span{margin-right:1.2em}
svg.graph{background:#fff;border:1px solid var(--line);border-radius:6px}
svg.graph .node rect{fill:#fff;stroke:var(--unknown);stroke-width:2;rx:6}
svg.graph .node.health-ok rect{stroke:var(--ok)}
svg.graph .node.health-degraded rect{stroke:var(--degraded)}
svg.graph .node.health-failing rect{stroke:var(--failing);fill:#fff3f3}
svg.graph .node{cursor:pointer}svg.graph .node:hover rect{fill:#eef2ff}
svg.graph .node .dot{fill:var(--unknown)}
svg.graph .node.health-ok .dot{fill:var(--ok)}
svg.graph .node.health-degraded .dot{fill:var(--degraded)}
svg.graph .node.health-failing .dot{fill:var(--failing)}
svg.graph text{font-size:12px;fill:var(--fg)}
svg.graph text.id{font-weight:600}
svg.graph text.rate{fill:#555;font-size:11px}
svg.graph .edge{stroke:#9aa4b8;stroke-width:1.5;fill:none}
svg.graph .pipeline-name{font-size:13px;font-weight:700;fill:#444}
svg.graph .column{font-size:11px;fill:#888;text-transform:uppercase}
.toolbar{display:flex;gap:.6em;align-items:center;margin:.4em 0 .8em;flex-wrap:wrap}
input[type=search],select{padding:.3em .5em;border:1px solid #bbb;border-radius:4px;font:inherit}
input[type=search]{min-width:20em}
button{font:inherit;padding:.25em .8em;border:1px solid #bbb;border-radius:4px;background:#fff;cursor:pointer}
details summary{cursor:pointer;color:var(--accent)}
tr.hidden{display:none}
#flame{position:relative;background:#fff;border:1px solid var(--line);border-radius:6px;overflow:hidden}
#flame svg{display:block;width:100%}
#flame rect{stroke:#fff;stroke-width:.5;cursor:pointer}
#flame text{font:11px ui-monospace,monospace;fill:#222;pointer-events:none}
#flame g.match rect{fill:#b44cdb !important}
#flame g.dim rect{opacity:.45}
#tooltip{position:fixed;pointer-events:none;background:#1d2433;color:#fff;padding:.4em .6em;border-radius:4px;font-size:12px;max-width:40em;display:none;z-index:10;white-space:pre-wrap}
.live-table td{font-family:ui-monospace,monospace;font-size:12px}
.notice{background:#fff8e1;border:1px solid #f0d48a;padding:.8em 1em;border-radius:6px;max-width:60em}
.error-text{color:var(--failing)}
fieldset.range{display:inline-flex;gap:.5em;border:1px solid var(--line);border-radius:4px;padding:.1em .6em .3em;margin:0}
fieldset.range legend{font-size:12px;color:#555;padding:0 .3em}
input[type=datetime-local]{font:inherit;padding:.2em .3em;border:1px solid #bbb;border-radius:4px}
.quick button{margin-right:.3em}
#range-info{white-space:pre-line}
body[data-page=diff] #tooltip{font-family:ui-monospace,monospace}
.legend .swatch{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 .8em;border:1px solid #aaa}
.legend .swatch.grew{background:hsl(0,80%,55%)}.legend .swatch.shrank{background:hsl(130,55%,55%)}.legend .swatch.same{background:hsl(220,10%,82%)}
table.series td.num{text-align:right}
`;
