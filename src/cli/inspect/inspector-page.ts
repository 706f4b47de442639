/**
 * The inspector's page: one self-contained HTML document (inline CSS and
 * JS, no build step, no CDN, works offline). It follows `/events` (Server-
 * Sent Events) and draws each {@link InspectorSnapshot} — the topology as
 * an SVG picture, counters updated in place, and the side panels.
 *
 * The script is plain browser JavaScript kept in a string (this package's
 * TypeScript has no DOM types); it avoids backticks and `${` so the string
 * needs no escaping. Elements tests look for carry stable attributes:
 * `data-stage-id` and `data-kind` on each stage, `data-counter` on each
 * counter value, `data-total` on each headline figure.
 *
 * @see ./inspector-snapshot.ts for the data drawn.
 */

const STYLE = String.raw`
:root {
  --bg: #0d1117; --panel: #161b22; --panel2: #1c2330; --line: #30363d; --text: #e6edf3; --muted: #8b949e;
  --accent: #58a6ff; --ok: #3fb950; --warn: #d29922; --fault: #f85149; --idle: #6e7681;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "Liberation Sans", "DejaVu Sans", sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 13px/1.45 var(--sans); }
header { display: flex; align-items: center; gap: 14px; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; letter-spacing: 0.2px; }
.logo { color: var(--accent); font-size: 18px; }
.spacer { flex: 1; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 11.5px; font-weight: 600; border: 1px solid currentColor; text-transform: lowercase; }
.st-running, .st-ok, .st-live, .st-healthy, .st-alive, .st-leader, .st-up { color: var(--ok); }
.st-starting, .st-info, .st-connecting, .st-follower, .st-candidate, .st-joining { color: var(--accent); }
.st-stopping, .st-degraded, .st-stale, .st-warn, .st-suspect, .st-reconnecting, .st-retrying { color: var(--warn); }
.st-fault, .st-error, .st-failed, .st-dead, .st-down, .st-disconnected { color: var(--fault); }
.st-stopped, .st-unknown, .st-left, .st-idle, .st-closed { color: var(--idle); }
.muted { color: var(--muted); }
.mono, .num { font-family: var(--mono); font-variant-numeric: tabular-nums; }
main { padding: 16px 20px 28px; display: flex; flex-direction: column; gap: 16px; }
.totals { display: flex; flex-wrap: wrap; gap: 12px; }
.total { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 128px; }
.total .num { font-size: 24px; font-weight: 600; line-height: 1.15; }
.total .label { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.6px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.card h2 { margin: 0 0 10px; font-size: 11.5px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.8px; }
.topology-scroll { overflow-x: auto; }
#graph { display: block; max-width: 100%; height: auto; }
.grid3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 16px; }
@media (max-width: 980px) { .grid3, .grid2 { grid-template-columns: minmax(0, 1fr); } }
ul.rows, ol.rows { list-style: none; margin: 0; padding: 0; }
.rows li { padding: 6px 0; border-top: 1px solid var(--line); }
.rows li:first-child { border-top: 0; }
.hrow { display: flex; align-items: baseline; gap: 8px; }
.hrow .name { flex: 1; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: currentColor; display: inline-block; flex: none; transform: translateY(1px); }
.msg { color: var(--muted); font-size: 12px; margin-left: 17px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar { height: 6px; border-radius: 3px; background: var(--panel2); margin-top: 5px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); border-radius: 3px; transition: width 0.3s ease; }
.leader { font-size: 14px; margin-bottom: 8px; }
.leader b { font-family: var(--mono); }
.token { font-family: var(--mono); color: var(--accent); }
.empty { color: var(--muted); font-style: italic; }
.ev { display: flex; gap: 10px; font-size: 12.5px; }
.ev time, td.time { color: var(--muted); font-family: var(--mono); font-size: 11.5px; flex: none; white-space: nowrap; }
.ev.fault { color: var(--fault); }
.ev.ok .text::before { content: "✓ "; color: var(--ok); }
.ev.fault .text::before { content: "✕ "; }
.scroll { max-height: 320px; overflow-y: auto; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 12px; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 11px; padding: 0 8px 6px 0; }
td { padding: 4px 8px 4px 0; border-top: 1px solid var(--line); vertical-align: top; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.payload { font-family: var(--mono); font-size: 11.5px; color: #c9d1d9; }
td.payload.text { color: #a5d6ff; }
.stage-tag { font-size: 10.5px; padding: 0 6px; border-radius: 4px; background: var(--panel2); border: 1px solid var(--line); }
#conn.st-disconnected { font-weight: 600; }
svg text { font-family: var(--sans); }
svg .kind { font-weight: 700; font-size: 12.5px; fill: var(--text); }
svg .sname { font-size: 11.5px; fill: var(--muted); }
svg .ckey { font-size: 11px; fill: var(--muted); }
svg .cval { font-size: 11.5px; fill: var(--text); font-family: var(--mono); font-variant-numeric: tabular-nums; }
svg .lane { fill: #11161d; stroke: var(--line); }
svg .lane-title { font-size: 13px; font-weight: 600; fill: var(--text); }
svg .lane-node { font-size: 11.5px; fill: var(--muted); font-family: var(--mono); }
svg .box { fill: var(--panel2); stroke: #3d4753; stroke-width: 1.2; }
svg .stage.bump .box { animation: bump 0.5s ease-out; }
@keyframes bump { from { stroke: var(--accent); stroke-width: 2.4; } to { stroke: #3d4753; stroke-width: 1.2; } }
svg .edge { fill: none; stroke: #6e7b8b; stroke-width: 1.6; }
svg .link { fill: none; stroke: var(--accent); stroke-width: 1.6; stroke-dasharray: 6 5; }
svg .link-label { font-size: 11px; fill: var(--accent); }
svg .link-label-bg { fill: var(--bg); }
`;

const SCRIPT = String.raw`
"use strict";
(function () {
  var SVGNS = "http://www.w3.org/2000/svg";
  var BOX_W = 200, COL_GAP = 36, ROW_GAP = 26, LANE_PAD = 18, LANE_HEAD = 34, LANE_GAP = 18, LINE = 16, HEAD_Y = 29;
  var PALETTE = ["#58a6ff", "#3fb950", "#d29922", "#bc8cff", "#39c5cf", "#ff7b72", "#e3b341", "#56d364"];
  var topologyKey = "";
  var cells = {};
  var last = {};
  var panelKeys = {};
  var totalsKey = "";

  function $(id) { return document.getElementById(id); }
  function h(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function s(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs[k] !== undefined) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function fmt(n) { return typeof n === "number" ? n.toLocaleString("en-US") : String(n); }
  function clock(ms) {
    var d = new Date(ms);
    function p(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
    return p(d.getHours(), 2) + ":" + p(d.getMinutes(), 2) + ":" + p(d.getSeconds(), 2) + "." + p(d.getMilliseconds(), 3);
  }
  function statusClass(status) { return "st-" + String(status || "unknown").toLowerCase().replace(/[^a-z0-9]+/g, "-"); }
  function hash(text) { var x = 0; for (var i = 0; i < text.length; i++) x = (x * 31 + text.charCodeAt(i)) | 0; return Math.abs(x); }
  function clip(text, max) { text = String(text); return text.length <= max ? text : text.slice(0, max - 1) + "…"; }

  /* ---- topology ---- */

  function topologyOf(snap) {
    return JSON.stringify([
      snap.pipelines.map(function (p) {
        return [p.id, p.title, p.node, p.stages.map(function (st) { return [st.id, st.kind, st.name, st.group, st.after, Object.keys(st.counters)]; })];
      }),
      snap.links
    ]);
  }

  /* Columns follow the main line left to right; a branch drops to the first free row below its parent. */
  function layoutLane(p) {
    var pos = {}, used = {}, branched = {}, rows = 1, cols = 1;
    p.stages.forEach(function (st) {
      var parents = st.after.filter(function (a) { return pos[a] !== undefined; });
      var col = 0, row = 0;
      if (parents.length > 0) {
        var first = pos[parents[0]];
        parents.forEach(function (a) { col = Math.max(col, pos[a].col + 1); });
        row = branched[parents[0]] ? first.row + 1 : first.row;
        branched[parents[0]] = true;
      }
      while (used[row + ":" + col]) row++;
      used[row + ":" + col] = true;
      pos[st.id] = { col: col, row: row };
      rows = Math.max(rows, row + 1);
      cols = Math.max(cols, col + 1);
    });
    var heights = {}, rowH = [], rowY = [], y = 0;
    p.stages.forEach(function (st) {
      var hgt = 50 + Math.max(1, Object.keys(st.counters).length) * LINE + 8;
      heights[st.id] = hgt;
      rowH[pos[st.id].row] = Math.max(rowH[pos[st.id].row] || 0, hgt);
    });
    for (var r = 0; r < rows; r++) { rowY[r] = y; y += (rowH[r] || 0) + ROW_GAP; }
    return { pos: pos, rows: rows, cols: cols, heights: heights, rowY: rowY, height: y - ROW_GAP };
  }

  function drawTopology(snap) {
    var svg = $("graph");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    cells = {};
    var defs = s("defs", {});
    [["arrow", "#6e7b8b"], ["arrow-link", "#58a6ff"]].forEach(function (m) {
      var marker = s("marker", { id: m[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      marker.appendChild(s("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }));
      defs.appendChild(marker);
    });
    svg.appendChild(defs);
    var lanesLayer = s("g", {}), edgeLayer = s("g", {}), boxLayer = s("g", {}), linkLayer = s("g", {}), labelLayer = s("g", {});
    svg.appendChild(lanesLayer); svg.appendChild(edgeLayer); svg.appendChild(boxLayer); svg.appendChild(linkLayer); svg.appendChild(labelLayer);
    var boxes = {};
    var y = 0, width = 0, laneTops = [], gutters = 0, labelled = {};
    if (snap.pipelines.length === 0) {
      svg.setAttribute("width", 400); svg.setAttribute("height", 40); svg.setAttribute("viewBox", "0 0 400 40");
      svg.appendChild(s("text", { x: 8, y: 24, "class": "sname" }, "no pipelines yet"));
      return;
    }
    var layouts = snap.pipelines.map(layoutLane);
    var laneW = 0;
    layouts.forEach(function (l) { laneW = Math.max(laneW, LANE_PAD * 2 + l.cols * BOX_W + (l.cols - 1) * COL_GAP); });
    snap.pipelines.forEach(function (p, li) {
      var l = layouts[li];
      var laneH = LANE_HEAD + LANE_PAD + l.height + LANE_PAD;
      laneTops.push(y);
      var lane = s("g", { "data-pipeline-id": p.id });
      lane.appendChild(s("rect", { x: 0.5, y: y + 0.5, width: laneW - 1, height: laneH - 1, rx: 10, "class": "lane" }));
      var title = s("text", { x: LANE_PAD, y: y + 24, "class": "lane-title" }, p.title);
      lane.appendChild(title);
      if (p.node) lane.appendChild(s("text", { x: laneW - LANE_PAD, y: y + 24, "class": "lane-node", "text-anchor": "end" }, p.node));
      lanesLayer.appendChild(lane);
      p.stages.forEach(function (st) {
        var at = l.pos[st.id];
        var bx = LANE_PAD + at.col * (BOX_W + COL_GAP), by = y + LANE_HEAD + LANE_PAD + l.rowY[at.row], bh = l.heights[st.id];
        boxes[st.id] = { x: bx, y: by, w: BOX_W, h: bh, lane: li, row: at.row };
        var g = s("g", { "class": "stage", "data-stage-id": st.id, "data-kind": st.kind, transform: "translate(" + bx + "," + by + ")" });
        var tip = st.kind + (st.name ? " — " + st.name : "") + (st.group ? " (group " + st.group + ")" : "");
        g.appendChild(s("title", {}, tip));
        g.appendChild(s("rect", { width: BOX_W, height: bh, rx: 7, "class": "box" }));
        g.appendChild(s("rect", { width: 4, height: bh - 14, x: 0, y: 7, rx: 2, fill: PALETTE[hash(st.kind) % PALETTE.length] }));
        g.appendChild(s("text", { x: 14, y: 21, "class": "kind" }, clip(st.kind, 23)));
        var label = st.name || (st.group ? "group " + st.group : "");
        g.appendChild(s("text", { x: 14, y: 38, "class": "sname" }, clip(label, 28)));
        g.appendChild(s("line", { x1: 10, x2: BOX_W - 10, y1: 47, y2: 47, stroke: "#30363d" }));
        cells[st.id] = {};
        var keys = Object.keys(st.counters);
        if (keys.length === 0) g.appendChild(s("text", { x: 14, y: 47 + LINE, "class": "ckey" }, "no counters"));
        keys.forEach(function (key, i) {
          var ty = 47 + (i + 1) * LINE;
          g.appendChild(s("text", { x: 14, y: ty, "class": "ckey" }, clip(key, 20)));
          var value = s("text", { x: BOX_W - 12, y: ty, "class": "cval", "text-anchor": "end", "data-counter": key }, fmt(st.counters[key]));
          g.appendChild(value);
          cells[st.id][key] = value;
          last[st.id + "\u0000" + key] = st.counters[key];
        });
        boxLayer.appendChild(g);
      });
      y += laneH + LANE_GAP;
    });
    width = laneW;
    var height = y - LANE_GAP;

    function edge(from, to) {
      var a = boxes[from], b = boxes[to];
      if (!a || !b) return;
      if (a.lane !== b.lane) { link(from, to, undefined, "edge"); return; }
      var d;
      if (b.row === a.row && b.x > a.x) {
        d = "M" + (a.x + a.w) + "," + (a.y + HEAD_Y) + " H" + (b.x - 2);
      } else if (b.row > a.row && b.x > a.x) {
        var x1 = a.x + a.w - 28, y2 = b.y + HEAD_Y, r = 10;
        d = "M" + x1 + "," + (a.y + a.h) + " V" + (y2 - r) + " Q" + x1 + "," + y2 + " " + (x1 + r) + "," + y2 + " H" + (b.x - 2);
      } else {
        var sx = a.x + a.w, sy = a.y + HEAD_Y, ex = b.x - 2, ey = b.y + HEAD_Y;
        d = "M" + sx + "," + sy + " C" + (sx + 40) + "," + sy + " " + (ex - 40) + "," + ey + " " + ex + "," + ey;
      }
      edgeLayer.appendChild(s("path", { d: d, "class": "edge", "marker-end": "url(#arrow)" }));
    }
    /*
     * Across lanes a link leaves its stage to the right, runs down (or up) a
     * gutter right of the lanes, along the target lane's header band and
     * drops onto the target: it never crosses the lanes in between.
     */
    function gutterPath(a, b) {
      var gx = laneW + 18 + gutters * 14, r = 8;
      gutters++;
      var sx = a.x + a.w, sy = a.y + HEAD_Y;
      var band = laneTops[b.lane] + LANE_HEAD + 8, tx = b.x + b.w / 2, ty = b.y - 2;
      var dir = band > sy ? 1 : -1;
      return {
        d: "M" + sx + "," + sy + " H" + (gx - r) + " Q" + gx + "," + sy + " " + gx + "," + (sy + dir * r) +
          " V" + (band - dir * r) + " Q" + gx + "," + band + " " + (gx - r) + "," + band +
          " H" + (tx + r) + " Q" + tx + "," + band + " " + tx + "," + (band + r) + " V" + ty,
        lx: laneW - LANE_PAD + 6, ly: band
      };
    }
    function link(from, to, label, cls) {
      var a = boxes[from], b = boxes[to];
      if (!a || !b) return;
      if (a.lane !== b.lane) {
        var g = gutterPath(a, b);
        linkLayer.appendChild(s("path", { d: g.d, "class": cls || "link", "marker-end": cls === "edge" ? "url(#arrow)" : "url(#arrow-link)", "data-link": from + " -> " + to }));
        var key = to + "\u0000" + label;
        if (label && !labelled[key]) {
          labelled[key] = true;
          var lw = Math.min(40, String(label).length) * 6.4 + 12;
          labelLayer.appendChild(s("rect", { x: g.lx - lw, y: g.ly - 9, width: lw, height: 18, rx: 4, "class": "link-label-bg" }));
          labelLayer.appendChild(s("text", { x: g.lx - 6, y: g.ly + 4, "class": "link-label", "text-anchor": "end" }, clip(label, 40)));
        }
        return;
      }
      var down = b.y > a.y + a.h, up = b.y + b.h < a.y;
      var sx, sy, ex, ey, d;
      if (down || up) {
        sx = a.x + a.w / 2; sy = down ? a.y + a.h : a.y;
        ex = b.x + b.w / 2; ey = down ? b.y - 2 : b.y + b.h + 2;
        var mid = (sy + ey) / 2;
        d = "M" + sx + "," + sy + " C" + sx + "," + mid + " " + ex + "," + mid + " " + ex + "," + ey;
      } else {
        sx = a.x + a.w; sy = a.y + a.h / 2; ex = b.x - 2; ey = b.y + b.h / 2;
        d = "M" + sx + "," + sy + " C" + (sx + 50) + "," + sy + " " + (ex - 50) + "," + ey + " " + ex + "," + ey;
      }
      var path = s("path", { d: d, "class": cls || "link", "marker-end": cls === "edge" ? "url(#arrow)" : "url(#arrow-link)", "data-link": from + " -> " + to });
      linkLayer.appendChild(path);
      if (label) {
        var lx = (sx + ex) / 2, ly = (sy + ey) / 2;
        var text = s("text", { x: lx, y: ly + 4, "class": "link-label", "text-anchor": "middle" }, clip(label, 40));
        var w = Math.min(40, String(label).length) * 6.4 + 12;
        labelLayer.appendChild(s("rect", { x: lx - w / 2, y: ly - 9, width: w, height: 18, rx: 4, "class": "link-label-bg" }));
        labelLayer.appendChild(text);
      }
    }
    snap.pipelines.forEach(function (p) { p.stages.forEach(function (st) { st.after.forEach(function (a) { edge(a, st.id); }); }); });
    snap.links.forEach(function (k) { link(k.from, k.to, k.label); });
    if (gutters > 0) width = laneW + 18 + gutters * 14 + 8;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  }

  function updateCounters(snap) {
    snap.pipelines.forEach(function (p) {
      p.stages.forEach(function (st) {
        var row = cells[st.id];
        if (!row) return;
        var changed = false;
        for (var key in st.counters) {
          var k = st.id + "\u0000" + key, value = st.counters[key];
          if (last[k] !== value) {
            last[k] = value;
            if (row[key]) row[key].textContent = fmt(value);
            changed = true;
          }
        }
        if (changed) {
          var g = document.querySelector('[data-stage-id="' + CSS.escape(st.id) + '"]');
          if (g) { g.classList.remove("bump"); void g.getBBox(); g.classList.add("bump"); }
        }
      });
    });
  }

  /* ---- panels ---- */

  function panel(id, data, render) {
    var key = JSON.stringify(data === undefined ? null : data);
    if (panelKeys[id] === key) return;
    panelKeys[id] = key;
    var host = $(id);
    while (host.firstChild) host.removeChild(host.firstChild);
    render(host, data);
  }
  function empty(host, text) { host.appendChild(h("div", "empty", text)); }

  function renderTotals(totals) {
    var host = $("totals");
    var entries = Object.keys(totals || {});
    var key = entries.join("\u0000");
    if (key !== totalsKey) {
      totalsKey = key;
      while (host.firstChild) host.removeChild(host.firstChild);
      host.hidden = entries.length === 0;
      entries.forEach(function (name) {
        var box = h("div", "total");
        var num = h("div", "num");
        num.setAttribute("data-total", name);
        box.appendChild(num);
        box.appendChild(h("div", "label", name));
        host.appendChild(box);
      });
    }
    entries.forEach(function (name) {
      var num = host.querySelector('[data-total="' + CSS.escape(name) + '"]');
      var text = fmt(totals[name]);
      if (num && num.textContent !== text) num.textContent = text;
    });
  }

  function renderHealth(host, health) {
    if (health.length === 0) return empty(host, "nothing reports health");
    health.forEach(function (item) {
      var li = h("li");
      var row = h("div", "hrow " + statusClass(item.status));
      row.appendChild(h("span", "dot"));
      var name = h("span", "name", item.name);
      name.style.color = "var(--text)";
      row.appendChild(name);
      row.appendChild(h("span", "pill", item.status));
      li.appendChild(row);
      if (item.message) { var m = h("div", "msg", item.message); m.title = item.message; li.appendChild(m); }
      host.appendChild(li);
    });
  }

  function renderQueues(host, queues) {
    if (queues.length === 0) return empty(host, "no queues");
    var most = 1;
    queues.forEach(function (q) { most = Math.max(most, q.depth); });
    queues.forEach(function (q) {
      var li = h("li");
      li.setAttribute("data-queue", q.name);
      var row = h("div", "hrow");
      row.appendChild(h("span", "name", q.name));
      row.appendChild(h("span", "num", fmt(q.depth)));
      li.appendChild(row);
      var bar = h("div", "bar"), fill = h("span");
      fill.style.width = Math.max(q.depth > 0 ? 2 : 0, Math.round((q.depth / most) * 100)) + "%";
      bar.appendChild(fill);
      li.appendChild(bar);
      if (q.detail) { var d = h("div", "msg", q.detail); d.style.marginLeft = "0"; d.title = q.detail; li.appendChild(d); }
      host.appendChild(li);
    });
  }

  function renderCoordination(host, c) {
    if (!c) return empty(host, "no coordination in this process (one node, no lease)");
    var lead = h("div", "leader");
    if (c.leader) {
      lead.appendChild(document.createTextNode("leader "));
      lead.appendChild(h("b", "", c.leader.id));
      lead.appendChild(document.createTextNode("  ·  fencing token "));
      lead.appendChild(h("span", "token", fmt(c.leader.token)));
    } else {
      lead.appendChild(h("span", "st-stale", "no leader"));
    }
    host.appendChild(lead);
    var list = h("ul", "rows");
    if (c.members.length === 0) empty(list, "no members");
    c.members.forEach(function (m) {
      var li = h("li");
      li.setAttribute("data-member", m.id);
      var row = h("div", "hrow " + statusClass(m.status));
      row.appendChild(h("span", "dot"));
      var name = h("span", "name mono", m.id + (c.leader && c.leader.id === m.id ? "  ★" : ""));
      name.style.color = "var(--text)";
      row.appendChild(name);
      if (m.role) row.appendChild(h("span", "muted", m.role));
      row.appendChild(h("span", "pill", m.status));
      li.appendChild(row);
      list.appendChild(li);
    });
    host.appendChild(list);
  }

  function renderEvents(host, events) {
    if (events.length === 0) return empty(host, "no events yet");
    events.slice().reverse().forEach(function (e) {
      var li = h("li", "ev " + (e.kind || "info"));
      li.appendChild(h("time", "", clock(e.at)));
      li.appendChild(h("span", "text", e.text));
      host.appendChild(li);
    });
  }

  /* A payload that is one JSON string (bytes read as text) reads better unquoted, its line ends shown as ⏎. */
  function readablePayload(json) {
    if (json.charAt(0) !== '"') return { value: json, text: false };
    var cut = json.charAt(json.length - 1) === "…";
    var body = cut ? json.slice(0, -1) : json;
    if (cut) body = body.replace(/\\+$/, function (run) { return run.length % 2 ? run.slice(1) : run; }) + '"';
    try {
      var text = JSON.parse(body);
      if (typeof text === "string") return { value: text.replace(/\r?\n/g, "⏎") + (cut ? "…" : ""), text: true };
    } catch (error) { /* shown as it came */ }
    return { value: json, text: false };
  }

  function renderEnvelopes(host, envelopes) {
    if (envelopes.length === 0) return empty(host, "the debug tap has seen nothing yet");
    var table = h("table");
    var cols = h("colgroup");
    ["96px", "64px", "17%", "", ""].forEach(function (w, i) { var c = h("col"); if (w) c.style.width = w; if (i === 3) c.style.width = "12%"; cols.appendChild(c); });
    table.appendChild(cols);
    var head = h("tr");
    ["time", "stage", "stream", "source", "payload"].forEach(function (t) { head.appendChild(h("th", "", t)); });
    table.appendChild(head);
    envelopes.slice().reverse().forEach(function (e) {
      var tr = h("tr");
      tr.appendChild(h("td", "time", clock(e.at)));
      var st = h("td"); st.appendChild(h("span", "stage-tag", e.stage)); tr.appendChild(st);
      var stream = h("td", "", e.stream); stream.title = e.stream; tr.appendChild(stream);
      var source = h("td", "muted", e.source); source.title = e.source; tr.appendChild(source);
      var shown = readablePayload(e.payload);
      var payload = h("td", "payload" + (shown.text ? " text" : ""), shown.value); payload.title = shown.value; tr.appendChild(payload);
      table.appendChild(tr);
    });
    host.appendChild(table);
  }

  /* ---- the stream ---- */

  function setState(state) {
    var el = $("state");
    el.textContent = state;
    el.className = "pill " + statusClass(state);
  }
  function setConnection(text, status) {
    var el = $("conn");
    el.textContent = text;
    el.className = "pill " + statusClass(status);
  }

  function render(snap) {
    document.title = snap.title + " — manyfold inspector";
    $("title").textContent = snap.title;
    setState(snap.state);
    $("updated").textContent = "updated " + clock(snap.at).slice(0, 8);
    var key = topologyOf(snap);
    if (key !== topologyKey) { topologyKey = key; drawTopology(snap); } else updateCounters(snap);
    renderTotals(snap.totals);
    panel("health", snap.health, renderHealth);
    panel("queues", snap.queues, renderQueues);
    panel("coordination", snap.coordination, renderCoordination);
    panel("events", snap.events, renderEvents);
    panel("envelopes", snap.envelopes, renderEnvelopes);
  }

  var source = new EventSource("events");
  source.onopen = function () { setConnection("live", "live"); };
  source.onerror = function () { setConnection("disconnected — retrying", "disconnected"); };
  source.onmessage = function (message) {
    var snap;
    try { snap = JSON.parse(message.data); } catch (error) { return; }
    setConnection(snap.state === "stopped" ? "process stopped" : "live", snap.state === "stopped" ? "stopped" : "live");
    render(snap);
  };
})();
`;

/** The inspector page, served at `/`. */
export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>manyfold inspector</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <span class="logo">◆</span>
  <h1 id="title">manyfold inspector</h1>
  <span id="state" class="pill st-unknown">waiting</span>
  <span class="spacer"></span>
  <span id="updated" class="muted mono"></span>
  <span id="conn" class="pill st-connecting">connecting…</span>
</header>
<main>
  <section id="totals" class="totals" hidden></section>
  <section class="card">
    <h2>Pipeline topology</h2>
    <div class="topology-scroll"><svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="pipeline topology"></svg></div>
  </section>
  <div class="grid3">
    <section class="card"><h2>Health</h2><ul id="health" class="rows"></ul></section>
    <section class="card"><h2>Queues</h2><ul id="queues" class="rows"></ul></section>
    <section class="card"><h2>Coordination</h2><div id="coordination"></div></section>
  </div>
  <div class="grid2">
    <section class="card"><h2>Recent events</h2><div class="scroll"><ol id="events" class="rows"></ol></div></section>
    <section class="card"><h2>Debug tap — recent envelopes</h2><div id="envelopes" class="scroll"></div></section>
  </div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
