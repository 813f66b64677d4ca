/**
 * The console's script, served at `/console/console.js` (a string module, so `deno compile`
 * includes it). Plain browser JavaScript, no framework, no build step. Everything it writes
 * into the page goes through `textContent` or attribute setters, never HTML strings (the
 * server-rendered parts it swaps in on refresh are escaped by the server).
 *
 * Per page (`<body data-page=...>`): live rates and health colours (`/api/v1/components`,
 * polled), relative ages, fragment refresh, the targets filter, the flame graph (a range
 * merged, one profile, or a diff of two ranges) and the live debugging tail.
 *
 * @module
 */

/** See the module doc. */
export const CONSOLE_JS = String.raw`"use strict";
(function () {
  var POLL_MS = 3000;
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function num(v, digits) {
    if (!isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
    if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
    return v.toFixed(digits === undefined ? 1 : digits);
  }
  function bytes(v) {
    if (!isFinite(v)) return "–";
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? String(Math.round(v)) : v.toFixed(1)) + " " + units[i];
  }
  function duration(seconds) {
    if (!isFinite(seconds)) return "–";
    if (seconds < 0.001) return Math.round(seconds * 1e6) + " µs";
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 60) return (seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)) + " s";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }
  function age(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.round(s / 60) + "m ago";
    if (s < 86400) return Math.round(s / 3600) + "h ago";
    return Math.round(s / 86400) + "d ago";
  }
  function value(v, unit) {
    if (unit === "nanoseconds") return duration(v / 1e9);
    if (unit === "microseconds") return duration(v / 1e6);
    if (unit === "milliseconds") return duration(v / 1e3);
    if (unit === "seconds") return duration(v);
    if (unit === "bytes") return bytes(v);
    return num(v) + (unit && unit !== "count" ? " " + unit : "");
  }
  window.profcol = { num: num, bytes: bytes, duration: duration, age: age, value: value };

  // ---- ages and durations ------------------------------------------------------------------
  function updateTimes(root) {
    var now = Date.now();
    $$("[data-at]", root).forEach(function (e) {
      var t = Date.parse(e.getAttribute("data-at"));
      e.textContent = isFinite(t) ? age(now - t) : "never";
      e.title = e.getAttribute("data-at");
    });
    $$("[data-seconds]", root).forEach(function (e) {
      e.textContent = duration(parseFloat(e.getAttribute("data-seconds")));
    });
  }

  // ---- live rates and health ---------------------------------------------------------------
  var previous = null;
  function pollComponents() {
    if (!$("[data-rate],[data-health-of]")) return;
    fetch("/api/v1/components").then(function (r) { return r.json(); }).then(function (data) {
      var byId = {};
      data.components.forEach(function (c) { byId[c.id] = c; });
      var dt = previous ? (data.at - previous.at) / 1000 : 0;
      $$("[data-rate]").forEach(function (e) {
        var id = e.getAttribute("data-rate"), what = e.getAttribute("data-what");
        var c = byId[id], p = previous && previous.byId[id];
        if (!c || !p || dt <= 0 || c.counters[what] === undefined) return;
        var rate = Math.max(0, (c.counters[what] - p.counters[what]) / dt);
        e.textContent = what === "bytes" ? bytes(rate) + "/s" : num(rate) + "/s";
      });
      $$("[data-health-of]").forEach(function (e) {
        var c = byId[e.getAttribute("data-health-of")];
        if (!c) return;
        var cls = (e.getAttribute("class") || "").split(" ").filter(function (x) {
          return x && x.indexOf("health-") !== 0;
        });
        cls.push("health-" + c.health);
        e.setAttribute("class", cls.join(" "));
        if (e.hasAttribute("data-health-text")) e.textContent = c.health;
      });
      previous = { at: data.at, byId: byId };
    }).catch(function () {});
  }

  // ---- refresh server-rendered fragments ----------------------------------------------------
  function refreshFragments() {
    if (!$("[data-refresh]")) return;
    fetch(location.href, { headers: { accept: "text/html" } }).then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        $$("[data-refresh]").forEach(function (old) {
          var fresh = doc.getElementById(old.id);
          if (!fresh) return;
          // Keep open <details> open.
          var open = $$("details[open]", old).map(function (d) { return d.getAttribute("data-key"); });
          var node = document.importNode(fresh, true);
          $$("details", node).forEach(function (d) {
            if (open.indexOf(d.getAttribute("data-key")) >= 0) d.setAttribute("open", "");
          });
          old.replaceWith(node);
          updateTimes(node);
        });
        applyFilter();
      }).catch(function () {});
  }

  // ---- targets filter ----------------------------------------------------------------------
  function applyFilter() {
    var input = $("#filter");
    if (!input) return;
    var q = input.value.trim().toLowerCase(), shown = 0, rows = $$("tr.target");
    rows.forEach(function (row) {
      var hit = !q || (row.getAttribute("data-search") || "").indexOf(q) >= 0;
      row.classList.toggle("hidden", !hit);
      if (hit) shown++;
    });
    var count = $("#filter-count");
    if (count) count.textContent = shown + " of " + rows.length;
  }

  // ---- flame graphs: one range, one profile, or a diff of two ranges -------------------------
  function parseLast(d) {
    var m = /^(\d+)(m|h)$/.exec(d);
    return m ? parseInt(m[1], 10) * (m[2] === "h" ? 3600000 : 60000) : 0;
  }
  // <input type=datetime-local> speaks local time without a zone.
  function toLocalInput(ms) {
    var d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 19);
  }
  function fromLocalInput(text) {
    if (!text) return null;
    var ms = new Date(text).getTime();
    return isFinite(ms) ? ms : null;
  }
  function rangeText(r) {
    if (!r) return "";
    var span = new Date(r.from).toLocaleString() + " – " + new Date(r.to).toLocaleString();
    if (r.in_range === 0) return "no profile kept in " + span;
    return (r.merged < r.in_range
      ? "merged the newest " + r.merged + " of " + r.in_range + " profiles in range (at most " + r.limit + " per request)"
      : "merged " + r.merged + " profile" + (r.merged === 1 ? "" : "s")) + " · " + span;
  }
  function flame(root, diff) {
    var id = root.getAttribute("data-series");
    var first = Number(root.getAttribute("data-series-first")), last = Number(root.getAttribute("data-series-last"));
    var state = { tree: null, focus: 0, query: "", sampleType: -1, index: -1 };
    var box = $("#flame"), tip = $("#tooltip"), info = $("#flame-info"), rangeInfo = $("#range-info");
    var ROW = 18;
    function setRange(prefix, from, to) {
      $("#" + prefix + "from").value = toLocalInput(from);
      $("#" + prefix + "to").value = toLocalInput(to);
    }
    function rangeParams(prefix, names) {
      var from = fromLocalInput($("#" + prefix + "from").value);
      var to = fromLocalInput($("#" + prefix + "to").value);
      // The inputs have whole seconds: the end of a range covers its whole second.
      return (from === null ? "" : "&" + names[0] + "=" + from) +
        (to === null ? "" : "&" + names[1] + "=" + (to + 999));
    }
    function url() {
      var base = "/api/v1/profiles/" + encodeURIComponent(id);
      if (diff) {
        return base + "/diff?sample_type=" + state.sampleType + rangeParams("base-", ["base_from", "base_to"]) +
          rangeParams("", ["from", "to"]);
      }
      if (state.index >= 0) return base + "/flame?sample_type=" + state.sampleType + "&index=" + state.index;
      return base + "/flame?sample_type=" + state.sampleType + rangeParams("", ["from", "to"]);
    }
    function load() {
      info.textContent = "loading…";
      fetch(url()).then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
        return r.json();
      }).then(function (tree) {
        state.tree = prepare(tree);
        state.focus = 0;
        var select = $("#sample-type");
        select.textContent = "";
        tree.sample_types.forEach(function (t, i) {
          var o = el("option", { value: String(i) }, t);
          if (i === tree.sample_type) o.selected = true;
          select.appendChild(o);
        });
        state.sampleType = tree.sample_type;
        if (diff) {
          rangeInfo.textContent = "baseline: " + rangeText(tree.base_range) + "\ncomparison: " + rangeText(tree.range);
          info.textContent = "baseline total " + value(tree.base_total[0] || 0, tree.unit) +
            " · comparison total " + value(tree.total[0] || 0, tree.unit) +
            (tree.hidden ? " · " + tree.hidden + " small frames hidden" : "");
        } else {
          rangeInfo.textContent = state.index >= 0 ? "one profile" : rangeText(tree.range);
          info.textContent = "total " + value(tree.total[0] || 0, tree.unit) +
            (tree.hidden ? " · " + tree.hidden + " small frames hidden" : "");
        }
        box.setAttribute("data-profiles", String(tree.profiles));
        draw();
      }).catch(function (e) {
        state.tree = null;
        box.textContent = "";
        info.textContent = "cannot draw: " + e.message;
      });
    }
    // w: the width of each node. A flame graph: its total. A diff: its mean share of the two
    // totals (so both ranges weigh the same however many profiles each has).
    function prepare(t) {
      var n = t.name.length, depth = new Array(n), x = new Array(n), next = new Array(n), end = new Array(n);
      var w = new Array(n);
      if (diff) {
        var b0 = t.base_total[0] || 0, c0 = t.total[0] || 0;
        t.baseShare = function (v) { return b0 ? v / b0 : 0; };
        t.share = function (v) { return c0 ? v / c0 : 0; };
        for (var k = 0; k < n; k++) w[k] = (t.baseShare(t.base_total[k]) + t.share(t.total[k])) / 2;
      } else {
        for (var m = 0; m < n; m++) w[m] = t.total[m];
      }
      for (var i = 0; i < n; i++) {
        var p = t.parent[i];
        depth[i] = p < 0 ? 0 : depth[p] + 1;
        x[i] = p < 0 ? 0 : next[p];
        if (p >= 0) next[p] += w[i];
        next[i] = x[i];
        end[i] = i + 1;
      }
      for (var j = n - 1; j > 0; j--) { var q = t.parent[j]; if (end[j] > end[q]) end[q] = end[j]; }
      t.depth = depth; t.x = x; t.end = end; t.w = w;
      t.maxDepth = depth.reduce(function (a, b) { return Math.max(a, b); }, 0);
      return t;
    }
    function color(name) {
      var h = 0;
      for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
      var hue = 10 + (Math.abs(h) % 40), light = 55 + (Math.abs(h >> 8) % 15);
      return "hsl(" + hue + ",85%," + light + "%)";
    }
    // The change of a node's share relative to the baseline, clamped to ±1 (a new frame: +1).
    function change(t, i) {
      var before = t.baseShare(t.base_total[i]), after = t.share(t.total[i]);
      if (before === 0) return after === 0 ? 0 : 1;
      return Math.max(-1, Math.min(1, (after - before) / before));
    }
    function diffColor(c) {
      var strength = Math.min(1, Math.abs(c));
      if (strength < 0.02) return "hsl(220,10%,82%)";
      var light = 88 - 38 * strength;
      return c > 0 ? "hsl(0,80%," + light + "%)" : "hsl(130,55%," + light + "%)";
    }
    function matches(name) {
      return state.query && name.toLowerCase().indexOf(state.query) >= 0;
    }
    function draw() {
      var t = state.tree;
      if (!t) return;
      var width = box.clientWidth || 1000, f = state.focus;
      var scale = t.w[f] ? width / t.w[f] : 0, x0 = t.x[f];
      var svg = svgEl("svg", { height: (t.maxDepth + 1) * ROW, width: width, role: "img" });
      var drawn = 0;
      function add(i, x, w) {
        var g = svgEl("g", { "data-i": i });
        var name = t.names[t.name[i]];
        if (matches(name)) g.setAttribute("class", "match");
        else if (i < f) g.setAttribute("class", "dim");
        var fill = diff ? diffColor(change(t, i)) : i === 0 ? "#c9cdd6" : color(name);
        if (diff) g.setAttribute("data-change", change(t, i).toFixed(3));
        var r = svgEl("rect", { x: x, y: t.depth[i] * ROW, width: Math.max(w, 0.5), height: ROW - 1, fill: fill });
        g.appendChild(r);
        if (w > 30) {
          var label = svgEl("text", { x: x + 3, y: t.depth[i] * ROW + 13 });
          var chars = Math.floor((w - 6) / 6.6);
          label.textContent = name.length > chars ? name.slice(0, Math.max(0, chars - 1)) + "…" : name;
          g.appendChild(label);
        }
        svg.appendChild(g);
        drawn++;
      }
      // Ancestors of the focus span the whole width.
      for (var a = f; a >= 0; a = t.parent[a]) { add(a, 0, width); if (t.parent[a] < 0) break; }
      for (var i = f + 1; i < t.end[f]; i++) {
        var w = t.w[i] * scale;
        if (w < 0.3) continue;
        add(i, (t.x[i] - x0) * scale, w);
      }
      box.textContent = "";
      box.appendChild(svg);
      box.setAttribute("data-drawn", String(drawn));
      box.setAttribute("data-focus", t.names[t.name[f]]);
      var m = $("#match-info");
      if (state.query) {
        var sum = 0, inside = -1;
        for (var k = 0; k < t.name.length; k++) {
          if (k < inside) continue;
          if (matches(t.names[t.name[k]])) { sum += t.w[k]; inside = t.end[k]; }
        }
        m.textContent = "matched " + (t.w[0] ? (100 * sum / t.w[0]).toFixed(1) : "0") + "% of total";
      } else m.textContent = "";
    }
    function nodeOf(target) {
      var g = target && target.closest ? target.closest("g[data-i]") : null;
      return g ? parseInt(g.getAttribute("data-i"), 10) : -1;
    }
    function pct(v) { return (100 * v).toFixed(2) + "%"; }
    function tipText(t, i) {
      var name = t.names[t.name[i]];
      if (diff) {
        var c = change(t, i);
        return name + "\n            baseline    comparison" +
          "\nself share  " + pct(t.baseShare(t.base_self[i])) + "      " + pct(t.share(t.self[i])) +
          "\ntotal share " + pct(t.baseShare(t.base_total[i])) + "      " + pct(t.share(t.total[i])) +
          "\ntotal       " + value(t.base_total[i], t.unit) + "   " + value(t.total[i], t.unit) +
          "\nchange of total share " + (c > 0 ? "+" : "") + (100 * c).toFixed(1) + "%" +
          (t.base_total[i] === 0 && t.total[i] > 0 ? " (new)" : "");
      }
      var all = t.total[0] || 1;
      return name + "\nself  " + value(t.self[i], t.unit) + " (" +
        (100 * t.self[i] / all).toFixed(2) + "%)\ntotal " + value(t.total[i], t.unit) + " (" +
        (100 * t.total[i] / all).toFixed(2) + "%)";
    }
    box.addEventListener("click", function (ev) {
      var i = nodeOf(ev.target);
      if (i >= 0) { state.focus = i; draw(); }
    });
    box.addEventListener("mousemove", function (ev) {
      var i = nodeOf(ev.target), t = state.tree;
      if (i < 0 || !t) { tip.style.display = "none"; return; }
      tip.textContent = tipText(t, i);
      tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 420) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    box.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    $("#reset").addEventListener("click", function () { state.focus = 0; draw(); });
    $("#search").addEventListener("input", function (ev) { state.query = ev.target.value.trim().toLowerCase(); draw(); });
    $("#sample-type").addEventListener("change", function (ev) { state.sampleType = parseInt(ev.target.value, 10); load(); });
    $("#apply").addEventListener("click", load);
    var which = $("#profile-index");
    if (which) which.addEventListener("change", function (ev) {
      state.index = parseInt(ev.target.value, 10);
      $$(".range input").forEach(function (i) { i.disabled = state.index >= 0; });
      if (state.index >= 0) {
        $("#download").setAttribute("href", "/api/v1/profiles/" + encodeURIComponent(id) + "/pprof?index=" + state.index);
      }
      load();
    });
    $$("button[data-last]").forEach(function (b) {
      b.addEventListener("click", function () {
        var d = b.getAttribute("data-last"), now = Date.now();
        if (d === "all") setRange("", first, Math.max(last, now));
        else setRange("", now - parseLast(d), now);
        load();
      });
    });
    $$("button[data-diff]").forEach(function (b) {
      b.addEventListener("click", function () {
        var d = b.getAttribute("data-diff"), now = Date.now();
        if (d === "halves") {
          var middle = Math.floor((first + last) / 2000) * 1000;
          setRange("base-", first, middle - 1000);
          setRange("", middle, last);
        } else {
          var span = parseLast(d);
          setRange("base-", now - 2 * span, now - span - 1000);
          setRange("", now - span, now);
        }
        load();
      });
    });
    window.addEventListener("resize", draw);
    // First view: everything kept (a flame graph) or its older half against its newer half.
    if (diff) $("[data-diff=halves]").click();
    else setRange("", first, last);
    if (!diff) load();
  }

  // ---- live debugging ----------------------------------------------------------------------
  function live(root) {
    var id = root.getAttribute("data-component"), body = $("#live-rows"), status = $("#live-status");
    var source = null, paused = false, MAX = 300;
    function connect() {
      if (source) source.close();
      var q = $("#live-filter").value;
      source = new EventSource("/api/v1/components/" + encodeURIComponent(id) + "/live?filter=" + encodeURIComponent(q));
      source.onopen = function () { status.textContent = "streaming"; };
      source.onerror = function () { status.textContent = "disconnected; retrying…"; };
      source.addEventListener("item", function (ev) {
        if (paused) return;
        var d = JSON.parse(ev.data), tr = el("tr");
        [new Date(d.time).toLocaleTimeString(), d.event, d.type, bytes(d.bytes), String(d.profiles), d.labels]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        body.insertBefore(tr, body.firstChild);
        while (body.children.length > MAX) body.removeChild(body.lastChild);
      });
      source.addEventListener("skipped", function (ev) {
        status.textContent = "streaming (" + JSON.parse(ev.data).skipped + " items skipped: too many per second)";
      });
    }
    $("#live-filter").addEventListener("change", connect);
    $("#live-pause").addEventListener("click", function (ev) {
      paused = !paused;
      ev.target.textContent = paused ? "resume" : "pause";
    });
    $("#live-clear").addEventListener("click", function () { body.textContent = ""; });
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.getAttribute("data-page");
    updateTimes(document);
    setInterval(function () { updateTimes(document); }, 1000);
    pollComponents();
    setTimeout(pollComponents, 1000);
    setInterval(pollComponents, POLL_MS);
    if ($("[data-refresh]")) setInterval(refreshFragments, 10000);
    var filter = $("#filter");
    if (filter) { filter.addEventListener("input", applyFilter); applyFilter(); }
    if (page === "flame" || page === "diff") flame(document.body, page === "diff");
    if (page === "live" && $("#live-rows")) live(document.body);
  });
})();
`;
