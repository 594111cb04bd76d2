"use strict";
// faasguard HTML report. Builds the page from the JSON data block with textContent only (never HTML parsing
// with data): every string in the data came from the scanned project and is untrusted.
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var app = document.getElementById("app");
  var SVG = "http://www.w3.org/2000/svg";
  var state = { severity: "", rule: "", query: "", node: null, all: false };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function svg(tag, attrs) { var node = document.createElementNS(SVG, tag); setAttrs(node, attrs); return node; }
  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, String(attrs[k])); }
    });
  }
  function sev(s) { return el("span", { "class": "sev sev-" + s }, [s]); }
  function loc(p, l) { return el("span", { "class": "loc" }, [p + ":" + l]); }

  // ------------------------------------------------------------------------------------------ summary
  function summary() {
    var s = data.summary;
    var section = el("section", { "aria-labelledby": "summary-h" }, [el("h2", { id: "summary-h" }, ["Summary"])]);
    var cards = el("div", { "class": "cards", id: "severity-summary" });
    data.severities.forEach(function (name) {
      cards.appendChild(el("div", { "class": "card", "data-severity": name },
        [el("b", {}, [String(s.by_severity[name] || 0)]), sev(name)]));
    });
    cards.appendChild(el("div", { "class": "card" }, [el("b", { id: "path-count" }, [String(data.paths.length)]),
      "attack paths"]));
    section.appendChild(cards);
    section.appendChild(el("h3", {}, ["Audit checklist"]));
    var list = el("div", { "class": "cards", id: "checklist" });
    data.checklist.forEach(function (item) {
      list.appendChild(el("div", { "class": "card" }, [el("b", {}, [String(item.count)]), item.id + " " + item.title]));
    });
    section.appendChild(list);
    section.appendChild(el("p", { "class": "muted" }, [s.applications + " applications, " + s.functions +
      " functions, " + s.files_scanned + " files, " + s.suppressed + " suppressed, " + s.diagnostics +
      " diagnostics"]));
    return section;
  }

  // -------------------------------------------------------------------------------------------- paths
  function paths() {
    var section = el("section", { "aria-labelledby": "paths-h", id: "paths" },
      [el("h2", { id: "paths-h" }, ["Attack paths (" + data.paths.length + ")"])]);
    if (!data.paths.length) { section.appendChild(el("p", {}, ["No attack path."])); }
    data.paths.forEach(function (p, i) {
      var hops = el("ol", { "aria-label": "hops" });
      p.hops.forEach(function (h) {
        var kind = h.d.split(":")[0];
        var known = ["entry", "flaw", "credential", "impact"].indexOf(kind) >= 0;
        hops.appendChild(el("li", { "class": "hop", "data-kind": known ? kind : "step" }, [
          known ? el("span", { "class": "hop-kind" }, [kind + ":"]) : "",
          known ? h.d.slice(kind.length + 1) : h.d, loc(h.p, h.l)]));
      });
      var show = el("button", { "class": "linkish", type: "button" }, ["show its findings"]);
      show.addEventListener("click", function () { selectNode("fn:" + p.app + "\u0000" + p.function, p.function); });
      section.appendChild(el("article", { "class": "path " + p.severity, id: "path-" + (i + 1),
        "data-path-id": p.id, "aria-label": "attack path " + (i + 1) }, [
        el("h3", {}, [sev(p.severity), " ", (i + 1) + ". " + p.function + " ", el("span", { "class": "muted" },
          ["(" + p.exposure + ", " + p.impact + ")" + (p.suppressed ? " suppressed" : "")])]),
        el("p", {}, [p.summary]), hops, show]));
    });
    return section;
  }

  // -------------------------------------------------------------------------------------------- graph
  function graph() {
    var section = el("section", { "aria-labelledby": "graph-h" }, [el("h2", { id: "graph-h" }, ["Attack graph"]),
      el("p", { "class": "muted" }, ["Entry points, functions, roles and what the roles reach. Red: on an attack " +
        "path. Select a node (click, or Tab then Enter) to filter the findings table."])]);
    var cols = [{}, {}, {}, {}], edges = {}, hot = {};
    function add(col, key, label, filter) { if (!cols[col][key]) { cols[col][key] = { key: key, label: label, filter: filter }; } }
    function edge(a, b, isHot) { var k = a + "\u0001" + b; edges[k] = edges[k] || isHot; }
    var onPath = {};
    data.paths.forEach(function (p) { onPath[p.app + "\u0000" + p.function] = true; });
    // A corpus has hundreds of functions: draw those on a path first, then those with flaws, then those whose
    // role reaches something, up to MAX_DRAWN; the per-function view below lists every one.
    var MAX_DRAWN = 120;
    var drawn = data.functions.filter(function (f) { return f.flaws.length || f.reach.length; });
    drawn.sort(function (a, b) {
      return (onPath[b.app + "\u0000" + b.id] ? 2 : 0) + (b.flaws.length ? 1 : 0) -
        (onPath[a.app + "\u0000" + a.id] ? 2 : 0) - (a.flaws.length ? 1 : 0);
    });
    var hidden = Math.max(0, drawn.length - MAX_DRAWN);
    drawn.slice(0, MAX_DRAWN).forEach(function (f) {
      var fk = "fn:" + f.app + "\u0000" + f.id, h = !!onPath[f.app + "\u0000" + f.id];
      add(1, fk, f.id + (f.flaws.length ? " ⚠" : ""), f.id);
      if (h) { hot[fk] = true; }
      f.entries.forEach(function (e) {
        var ek = "entry:" + e.exposure; add(0, ek, e.exposure, null); edge(ek, fk, h && e.rank >= 1);
        if (h && e.rank >= 1) { hot[ek] = true; }
      });
      if (f.role) {
        var rk = "role:" + f.app + "\u0000" + f.role; add(2, rk, f.role, f.role); edge(fk, rk, h);
        if (h) { hot[rk] = true; }
        f.reach.forEach(function (r) {
          var tk = "reach:" + r.kind + ":" + r.impact; add(3, tk, r.kind + " (" + r.impact + ")", null);
          edge(rk, tk, h); if (h) { hot[tk] = true; }
        });
      }
    });
    var colX = [10, 250, 520, 790], width = 210, hgt = 26, gap = 8, pos = {}, rows = 0;
    cols.forEach(function (c, i) {
      Object.keys(c).sort().forEach(function (k, j) { pos[k] = { x: colX[i], y: 30 + j * (hgt + gap) }; rows = Math.max(rows, j + 1); });
    });
    var box = svg("svg", { id: "graph", role: "group", "aria-label": "attack graph", width: 1010,
      height: 40 + rows * (hgt + gap), viewBox: "0 0 1010 " + (40 + rows * (hgt + gap)) });
    ["Entry points", "Functions", "Roles", "Reach"].forEach(function (t, i) {
      box.appendChild(svg("text", { x: colX[i], y: 16, "font-weight": "bold", text: t }));
    });
    Object.keys(edges).forEach(function (k) {
      var ab = k.split("\u0001"), a = pos[ab[0]], b = pos[ab[1]];
      if (!a || !b) { return; }
      var x1 = a.x + width, y1 = a.y + hgt / 2, x2 = b.x, y2 = b.y + hgt / 2, mid = (x1 + x2) / 2;
      box.appendChild(svg("path", { "class": "edge" + (edges[k] ? " hot" : ""),
        d: "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2 }));
    });
    cols.forEach(function (c) {
      Object.keys(c).forEach(function (k) {
        var n = c[k], p = pos[k];
        var g = svg("g", { "class": "node" + (hot[k] ? " hot" : ""), tabindex: 0, role: "button",
          "data-node": k, "aria-label": n.label + (hot[k] ? ", on an attack path" : "") });
        g.appendChild(svg("title", { text: n.label }));
        g.appendChild(svg("rect", { x: p.x, y: p.y, width: width, height: hgt }));
        var label = n.label.length > 30 ? n.label.slice(0, 29) + "…" : n.label;
        g.appendChild(svg("text", { x: p.x + 6, y: p.y + 17, text: label }));
        function choose() { selectNode(k, n.filter); }
        g.addEventListener("click", choose);
        g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(); } });
        box.appendChild(g);
      });
    });
    section.appendChild(el("div", { id: "graph-wrap" }, [box]));
    if (hidden) { section.appendChild(el("p", { "class": "muted" }, [hidden + " more functions are not drawn; " +
      "see the per-function view."])); }
    return section;
  }

  function selectNode(key, filter) {
    state.node = filter;
    var nodes = document.querySelectorAll("#graph .node");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].classList.toggle("selected", nodes[i].getAttribute("data-node") === key);
    }
    document.getElementById("node-filter").textContent = filter ? "Showing findings of " + filter + " " : "";
    document.getElementById("clear-node").hidden = !filter;
    renderRows();
    document.getElementById("findings").scrollIntoView();
  }

  // ----------------------------------------------------------------------------------------- findings
  function findings() {
    var section = el("section", { "aria-labelledby": "findings-h", id: "findings" },
      [el("h2", { id: "findings-h" }, ["Findings"])]);
    var sevSelect = el("select", { id: "severity-filter" }, [el("option", { value: "" }, ["all"])]);
    data.severities.forEach(function (s) { sevSelect.appendChild(el("option", { value: s }, [s + " and above"])); });
    var rules = {};
    data.findings.forEach(function (f) { rules[f.rule] = f.name; });
    var ruleSelect = el("select", { id: "rule-filter" }, [el("option", { value: "" }, ["all rules"])]);
    Object.keys(rules).sort().forEach(function (r) { ruleSelect.appendChild(el("option", { value: r }, [r + " " + rules[r]])); });
    var search = el("input", { id: "search", type: "search", placeholder: "function, resource, text…" });
    sevSelect.addEventListener("change", function () { state.severity = sevSelect.value; renderRows(); });
    ruleSelect.addEventListener("change", function () { state.rule = ruleSelect.value; renderRows(); });
    search.addEventListener("input", function () { state.query = search.value.toLowerCase(); renderRows(); });
    var clear = el("button", { id: "clear-node", type: "button", hidden: "hidden" }, ["show all"]);
    var more = el("button", { id: "show-all", type: "button", hidden: "hidden" }, ["show every row"]);
    more.addEventListener("click", function () { state.all = true; renderRows(); });
    clear.addEventListener("click", function () { selectNode(null, null); });
    section.appendChild(el("div", { "class": "controls", role: "search" }, [
      el("label", {}, ["Severity", sevSelect]), el("label", {}, ["Rule", ruleSelect]),
      el("label", {}, ["Search", search]),
      el("p", { "aria-live": "polite" }, [el("span", { id: "node-filter" }), clear, " ",
        el("span", { id: "row-count" }), " ", more])]));
    var table = el("table", { id: "findings-table" }, [el("caption", { "class": "muted" }, ["Select a row to see its evidence and code"]),
      el("colgroup", {}, ["c-sev", "c-rule", "c-fn", "c-msg", "c-loc"].map(function (c) { return el("col", { "class": c }); })),
      el("thead", {}, [el("tr", {}, ["Severity", "Rule", "Function / resource", "Message", "Location"].map(function (h) {
        return el("th", { scope: "col" }, [h]); }))]), el("tbody", { id: "findings-body" })]);
    section.appendChild(table);
    return section;
  }

  var rank = {};
  data.severities.forEach(function (s, i) { rank[s] = data.severities.length - i; });
  data.findings.sort(function (a, b) { return rank[b.severity] - rank[a.severity] || a.n - b.n; });

  function visible(f) {
    if (state.severity && rank[f.severity] < rank[state.severity]) { return false; }
    if (state.rule && f.rule !== state.rule) { return false; }
    if (state.node && f.functions.indexOf(state.node) < 0 && f.resource !== state.node) { return false; }
    if (state.query) {
      var hay = (f.rule + " " + f.name + " " + f.message + " " + f.resource + " " + f.functions.join(" ") + " " +
        f.path).toLowerCase();
      var words = state.query.split(/\s+/).filter(Boolean);
      for (var i = 0; i < words.length; i++) { if (hay.indexOf(words[i]) < 0) { return false; } }
    }
    return true;
  }

  function renderRows() {
    var body = document.getElementById("findings-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var shown = 0, limit = state.all ? Infinity : 300;
    data.findings.forEach(function (f) {
      if (!visible(f)) { return; }
      shown += 1;
      if (shown > limit) { return; }
      var row = el("tr", { "class": "finding", tabindex: 0, "aria-expanded": "false", "data-rule": f.rule }, [
        el("td", {}, [sev(f.severity)]), el("td", {}, [f.rule + " " + f.name]),
        el("td", {}, [f.functions.length ? f.functions.join(", ") : f.resource]),
        el("td", {}, [f.message + (f.suppressed ? " (suppressed)" : "")]), el("td", {}, [loc(f.path, f.line)])]);
      function toggle() {
        var next = row.nextSibling;
        if (next && next.classList && next.classList.contains("details")) {
          body.removeChild(next); row.setAttribute("aria-expanded", "false"); return;
        }
        row.setAttribute("aria-expanded", "true");
        body.insertBefore(el("tr", { "class": "details" }, [el("td", { colspan: 5 }, [details(f)])]), row.nextSibling);
      }
      row.addEventListener("click", toggle);
      row.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { toggle(); } });
      body.appendChild(row);
    });
    document.getElementById("row-count").textContent = shown + " of " + data.findings.length + " findings" +
      (shown > limit ? " (first " + limit + " shown; narrow the filter or show them all)" : "");
    document.getElementById("show-all").hidden = !(shown > limit);
  }

  function details(f) {
    var box = el("div", {});
    if (f.evidence.length) {
      var ol = el("ol", {});
      f.evidence.forEach(function (s) { ol.appendChild(el("li", {}, [s.d, loc(s.p, s.l)])); });
      box.appendChild(ol);
    }
    if (f.snippet) {
      var pre = el("pre", { "class": "code", "aria-label": "code of " + f.path });
      f.snippet.lines.forEach(function (pair) {
        var marked = f.snippet.marked.indexOf(pair[0]) >= 0;
        pre.appendChild(el("span", marked ? { "class": "taint", title: "on the tainted path" } : {},
          [String(pair[0]).padStart(4, " ") + "  " + pair[1]]));
      });
      box.appendChild(pre);
    }
    if (f.fix) { box.appendChild(el("p", {}, [el("b", {}, ["Fix: "]), f.fix])); }
    return box;
  }

  // ---------------------------------------------------------------------------------------- functions
  function functions() {
    var section = el("section", { "aria-labelledby": "functions-h", id: "functions" },
      [el("h2", { id: "functions-h" }, ["Functions and their roles' reach"])]);
    data.functions.forEach(function (f) {
      var box = el("details", { "class": "fn", "data-function": f.id }, [el("summary", {}, [f.id + "  ",
        el("span", { "class": "muted" }, [f.app + (f.role ? " — role " + f.role : "")])])]);
      function list(title, items, text) {
        if (!items.length) { return; }
        var ul = el("ul", {});
        items.forEach(function (x) { ul.appendChild(el("li", {}, [text(x)])); });
        box.appendChild(el("h3", {}, [title])); box.appendChild(ul);
      }
      list("Entry points", f.entries, function (e) { return e.d + " — " + e.exposure; });
      list("Flaws", f.flaws, function (x) { return x.rule + " " + x.capability + ": " + x.sink + " (" + x.p + ":" + x.l + ")"; });
      list("Role reach", f.reach, function (r) { return r.kind + " (" + r.impact + "): " + r.d; });
      section.appendChild(box);
    });
    return section;
  }

  var loading = document.getElementById("loading");
  app.removeChild(loading);
  [summary(), paths(), graph(), findings(), functions()].forEach(function (s) { app.appendChild(s); });
  renderRows();
})();
