/* kg explorer: draws what the server chooses (or what a static file embeds) with vis-network.
 *
 * Every string from the graph reaches the page through textContent or as vis-network data drawn on a canvas,
 * never through innerHTML, so an entity named "<img src=x onerror=alert(1)>" is shown as text.
 * Two back ends answer the same questions: ApiBackend asks the Flask JSON API; EmbeddedBackend answers from the
 * data a `kg viz` file carries, so the static file behaves like the served page.
 */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("kg-config").textContent);
  const $ = (id) => document.getElementById(id);
  const colours = config.colours || ["#1f77b4"];
  const typeStyle = {};
  for (const item of config.legend || []) typeStyle[item.type] = item;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function normalise(text) {
    return String(text || "").normalize("NFKC").toLowerCase().trim();
  }

  function safeHref(url) {
    const s = String(url || "");
    return /^(https?:)?\/\//i.test(s) || s.startsWith("/") ? s : null;
  }

  // ---------------------------------------------------------------------------------------------------- back ends
  class ApiBackend {
    async request(name, params, init) {
      const url = new URL(config.api[name], window.location.href);
      for (const [key, value] of Object.entries(params || {})) url.searchParams.set(key, value);
      const response = await fetch(url, init);
      const type = response.headers.get("Content-Type") || "";
      const body = type.includes("json") ? await response.json() : await response.text();
      if (!response.ok) throw new Error((body && body.error) || String(body) || response.statusText);
      return body;
    }
    top(max) { return this.request("graph", { max }); }
    search(q) { return this.request("search", { q, limit: 12 }); }
    neighbourhood(id, hops, max) { return this.request("neighbourhood", { id, hops, max }); }
    entity(id) { return this.request("entity", { id }); }
    path(from, to) { return this.request("path", { from, to }); }
    communities(ids) {
      return this.request("communities", {}, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ids }) });
    }
    turtle(ids) {
      return this.request("subgraph", {}, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ids }) });
    }
  }

  class EmbeddedBackend {
    constructor(data) {
      this.data = data;
      this.nodes = new Map(data.view.nodes.map((n) => [n.id, n]));
      this.adjacent = new Map();
      for (const e of data.view.edges) {
        for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) {
          if (!this.adjacent.has(a)) this.adjacent.set(a, []);
          this.adjacent.get(a).push([b, e]);
        }
      }
    }
    subview(ids, notice) {
      const keep = new Set(ids);
      return {
        nodes: ids.map((id) => this.nodes.get(id)),
        edges: this.data.view.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
        total: this.nodes.size, shown: ids.length, notice: notice || "",
      };
    }
    byRank() { return [...this.nodes.values()].sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1)); }
    async top(max) {
      const ids = this.byRank().slice(0, max).map((n) => n.id);
      const view = this.subview(ids, this.data.view.notice);
      if (!view.notice && this.nodes.size > ids.length) {
        view.notice = `showing the ${ids.length} most central of ${this.nodes.size} entities`;
      }
      return view;
    }
    async search(q) {
      const key = normalise(q);
      if (!key) return { results: [] };
      const scored = [];
      for (const n of this.nodes.values()) {
        let best = null;
        for (const [name, isLabel] of [[n.label, 0], ...n.aliases.map((a) => [a, 1])]) {
          const m = normalise(name);
          const kind = m === key ? 0 : m.startsWith(key) ? 1 : m.includes(key) ? 2 : -1;
          if (kind < 0) continue;
          const score = [kind, isLabel, m.length, -n.rank];
          if (!best || score < best) best = score;
        }
        if (best) scored.push([best, n]);
      }
      scored.sort((a, b) => {
        for (let i = 0; i < 4; i++) if (a[0][i] !== b[0][i]) return a[0][i] - b[0][i];
        return 0;
      });
      return { results: scored.slice(0, 12).map(([, n]) => n) };
    }
    bfs(start, hops, comention) {
      const dist = new Map([[start, 0]]);
      let frontier = [start];
      for (let d = 1; d <= hops; d++) {
        const next = [];
        for (const id of frontier) {
          for (const [other, e] of this.adjacent.get(id) || []) {
            if (!comention && e.kind === "comention") continue;
            if (!dist.has(other)) { dist.set(other, d); next.push(other); }
          }
        }
        frontier = next;
      }
      return dist;
    }
    async neighbourhood(id, hops, max) {
      const dist = this.bfs(id, hops, true);
      const ids = [...dist.keys()].sort((a, b) => dist.get(a) - dist.get(b) ||
        this.nodes.get(b).rank - this.nodes.get(a).rank);
      const notice = ids.length > max ? `showing ${max} of ${ids.length} entities within ${hops} hops` : "";
      return { centre: id, ...this.subview(ids.slice(0, max), notice) };
    }
    async entity(id) {
      const n = this.nodes.get(id);
      const facts = this.data.facts[id] || { facts: [], comentions: [], sentences: [] };
      return { ...n, ...facts, links: { page: id } };
    }
    async resolve(key) {
      if (this.nodes.has(key)) return key;
      const hits = (await this.search(key)).results;
      return hits.length ? hits[0].id : null;
    }
    async path(fromKey, toKey) {
      const from = await this.resolve(fromKey);
      const to = await this.resolve(toKey);
      if (!from || !to) throw new Error(`no entity ${from ? toKey : fromKey}`);
      for (const comention of [false, true]) {
        const prev = new Map([[from, null]]);
        let frontier = [from];
        while (frontier.length && !prev.has(to)) {
          const next = [];
          for (const id of frontier) {
            for (const [other, e] of this.adjacent.get(id) || []) {
              if (!comention && e.kind === "comention") continue;
              if (!prev.has(other)) { prev.set(other, id); next.push(other); }
            }
          }
          frontier = next;
        }
        if (!prev.has(to)) continue;
        const path = [to];
        while (prev.get(path[0]) !== null) path.unshift(prev.get(path[0]));
        const steps = [];
        for (let i = 0; i + 1 < path.length; i++) {
          const [a, b] = [path[i], path[i + 1]];
          const facts = this.data.facts[a] || { facts: [], comentions: [] };
          const evidence = facts.facts.filter((f) => (f.object && f.object.id === b) || f.subject.id === b);
          for (const c of facts.comentions) {
            if (c.entity.id === b) {
              evidence.push({ predicate: "coMention", subject: this.nodes.get(a), object: c.entity,
                sentence: c.sentence, headline: c.headline });
            }
          }
          steps.push({ from: a, to: b, evidence });
        }
        const view = this.subview(path);
        return { source: from, target: to, paths: [path], steps, nodes: view.nodes, edges: view.edges, found: true };
      }
      return { source: from, target: to, paths: [], steps: [], nodes: [], edges: [], found: false };
    }
    async communities(ids) {
      const keep = new Set(ids);
      const membership = {};
      for (const [id, c] of Object.entries(this.data.communities.membership)) if (keep.has(id)) membership[id] = c;
      return { communities: this.data.communities.communities, membership };
    }
    async turtle(ids) {
      const keep = new Set(ids);
      const iri = (id) => "<" + String(id).replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) =>
        "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")) + ">";
      const lit = (s) => JSON.stringify(String(s)) + "@zh";
      const lines = ["@prefix kg: <https://w3id.org/kgnews/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .", ""];
      for (const id of ids) {
        const n = this.nodes.get(id);
        if (!n) continue;
        lines.push(`${iri(id)} a kg:${n.type} ; rdfs:label ${lit(n.label)} .`);
        for (const a of n.aliases) lines.push(`${iri(id)} skos:altLabel ${lit(a)} .`);
      }
      for (const e of this.data.view.edges) {
        if (keep.has(e.from) && keep.has(e.to)) lines.push(`${iri(e.from)} kg:${e.predicate} ${iri(e.to)} .`);
      }
      return lines.join("\n") + "\n";
    }
  }

  const backend = config.mode === "embedded" ? new EmbeddedBackend(config) : new ApiBackend();

  // ------------------------------------------------------------------------------------------------------- state
  const state = {
    types: new Set((config.legend || []).map((t) => t.type)),
    relationsOff: new Set(),
    hidden: new Set(),
    comention: true,
    community: null,
    highlighted: new Set(),
    panel: null,
  };
  const nodes = new vis.DataSet();
  const edges = new vis.DataSet();
  const nodeView = new vis.DataView(nodes, {
    filter: (n) => (state.types.has(n.type) || !typeStyle[n.type]) && !state.hidden.has(n.id),
  });
  const edgeView = new vis.DataView(edges, {
    filter: (e) => (e.kind === "comention" ? state.comention : !state.relationsOff.has(e.predicate)),
  });
  const options = {
    autoResize: true,
    layout: { improvedLayout: false },
    physics: { solver: "forceAtlas2Based", forceAtlas2Based: { gravitationalConstant: -60, springLength: 90 },
      stabilization: { enabled: true, iterations: 200, updateInterval: 50, fit: true } },
    interaction: { hover: true, tooltipDelay: 150, multiselect: true },
    nodes: { font: { size: 14, face: "WenQuanYi Zen Hei, sans-serif" }, borderWidth: 1 },
    edges: { font: { size: 10, align: "middle", face: "WenQuanYi Zen Hei, sans-serif" },
      smooth: { type: "continuous" }, color: { color: "#7a8796", highlight: "#d62728" } },
  };
  const network = new vis.Network($("graph"), { nodes: nodeView, edges: edgeView }, options);
  network.on("stabilizationIterationsDone", () => {
    network.setOptions({ physics: false });
    document.body.dataset.ready = "1";
  });
  network.on("beforeDrawing", (ctx) => {  // a white background, so the PNG export is not transparent
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.restore();
  });

  function settle() {
    const n = nodes.length;
    document.body.dataset.ready = "0";
    network.setOptions({ physics: { enabled: true, stabilization: { iterations: Math.max(60, Math.min(250,
      Math.round(40000 / Math.max(n, 1)))) } } });
    network.stabilize();
  }

  function tooltip(n) {
    const box = el("div");
    box.appendChild(el("strong", n.label));
    box.appendChild(el("span", ` ${n.type}`));
    if (n.aliases && n.aliases.length) box.appendChild(el("div", `又名 ${n.aliases.join("、")}`));
    return box;
  }

  function nodeRecord(n) {
    const colour = state.community && state.community.membership[n.id] !== undefined
      ? colours[state.community.membership[n.id] % colours.length] : n.color;
    return { ...n, baseColor: n.color, color: colour, title: tooltip(n) };
  }

  function edgeRecord(e) {
    const record = e.kind === "comention"
      ? { ...e, dashes: true, width: 1, color: { color: "#bbbbbb", opacity: 0.45 }, arrows: { to: { enabled: false } } }
      : { ...e, width: 2, font: { color: "#444" }, color: { color: "#7a8796", highlight: "#d62728" },
        arrows: { to: { enabled: true, scaleFactor: 0.5 } } };
    record.baseWidth = record.width;
    record.baseColor = record.color;
    return record;
  }

  function addData(data) {
    nodes.update(data.nodes.map(nodeRecord));
    edges.update(data.edges.map(edgeRecord));
    refreshRelations();
    counts(data);
  }

  function showNotice(text) {
    const box = $("notice");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function counts(data) {
    const total = data && data.total !== undefined ? data.total : null;
    $("counts").textContent = `显示 ${nodeView.length} 个实体, ${edgeView.length} 条边` +
      (total !== null ? ` (共 ${total})` : "");
  }

  function replace(data) {
    state.hidden.clear();
    state.highlighted.clear();
    nodes.clear();
    edges.clear();
    addData(data);
    showNotice(data.notice);
    settle();
    if (state.community) colourCommunities();
  }

  function refreshRelations() {
    const box = $("relation-filters");
    const present = [...new Set(edges.get().filter((e) => e.kind !== "comention").map((e) => e.predicate))].sort();
    const shown = [...box.querySelectorAll("input")].map((i) => i.value);
    if (present.join("\u0001") === shown.join("\u0001")) return;
    box.replaceChildren();
    for (const p of present) {
      const label = el("label");
      const input = el("input");
      input.type = "checkbox";
      input.value = p;
      input.checked = !state.relationsOff.has(p);
      input.addEventListener("change", () => {
        if (input.checked) state.relationsOff.delete(p); else state.relationsOff.add(p);
        edgeView.refresh();
        counts();
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + p));
      box.appendChild(label);
    }
  }

  function fail(error) {
    showNotice(`出错 error: ${error && error.message ? error.message : error}`);
  }

  // ------------------------------------------------------------------------------------------------------- views
  function maxNodes() {
    const v = parseInt($("max-nodes").value, 10);
    return Number.isFinite(v) && v > 0 ? Math.min(v, 2000) : config.max || 150;
  }

  // The first visitor after a server start may arrive while the server is still reading a big store: say so, with
  // what it is doing and for how long, instead of leaving a blank page behind a request that does not answer yet.
  // The status request is held by the server until the graph is ready (or a second has passed), so the first view
  // is asked for as soon as it can be answered.
  async function waitForGraph() {
    if (!config.api || !config.api.status) return;
    const began = Date.now();
    for (;;) {
      const status = await backend.request("status", { wait: 1 });
      if (status.ready || status.error) break;  // on an error the next request retries the build and says why
      document.body.dataset.state = "loading";
      const seconds = Math.round((Date.now() - began) / 1000);
      showNotice(`正在读取图… loading the graph: ${status.phase} (${seconds} s)`);
    }
    document.body.dataset.state = "ready";
  }

  async function loadTop() {
    replace(await backend.top(maxNodes()));
  }

  async function focusEntity(id) {
    const data = await backend.neighbourhood(id, parseInt($("hops").value, 10) || 2, maxNodes());
    const centre = data.centre || id;
    // Registered before the layout starts, so it cannot miss this layout's end and fire on a later one.
    network.once("stabilizationIterationsDone", () => network.focus(centre, { scale: 1.1, animation: false }));
    replace(data);
    document.body.dataset.focus = centre;
    network.selectNodes([centre]);
    await openEntity(centre);
  }

  async function expand(id) {
    const data = await backend.neighbourhood(id, 1, 50);
    addData(data);
    showNotice(data.notice);
    settle();
    if (state.community) colourCommunities();
  }

  // ------------------------------------------------------------------------------------------------- side panel
  function entityLink(entity) {
    if (!entity.type) return el("span", entity.label);  // a document or other non-entity: nothing to open
    const link = el("span", entity.label, "entity-link");
    link.title = entity.type || "";
    link.addEventListener("click", () => { focusEntity(entity.id).catch(fail); });
    return link;
  }

  function evidence(container, item) {
    if (item.sentence) container.appendChild(el("div", item.sentence, "sentence"));
    if (item.headline) container.appendChild(el("div", `《${item.headline}》`, "doc"));
  }

  function describeFact(fact) {
    const row = el("div", null, "fact");
    row.appendChild(entityLink(fact.subject));
    row.appendChild(el("span", ` —${fact.predicate}${fact.role ? "（" + fact.role + "）" : ""}→ `));
    if (fact.object) row.appendChild(entityLink(fact.object));
    else row.appendChild(el("span", fact.value));
    evidence(row, fact);
    return row;
  }

  function openPanel(nodesToAdd) {
    const body = $("panel-body");
    body.replaceChildren(...nodesToAdd);
    $("panel").hidden = false;
    document.body.classList.add("with-panel");
  }

  async function openEntity(id) {
    const info = await backend.entity(id);
    state.panel = id;
    document.body.dataset.panel = id;
    const parts = [];
    parts.push(el("h2", info.label));
    const style = typeStyle[info.type] || {};
    parts.push(el("div", `${style.zh || ""} ${info.type}`, "meta"));
    if (info.aliases && info.aliases.length) parts.push(el("div", `又名 aliases: ${info.aliases.join("、")}`, "meta"));
    const actions = el("div", null, "actions");
    const buttons = [
      ["展开 expand", () => expand(id)],
      ["隐藏 hide", async () => { state.hidden.add(id); nodeView.refresh(); counts(); }],
      [nodes.get(id) && nodes.get(id).fixed ? "取消固定 unpin" : "固定 pin", async () => {
        const n = nodes.get(id);
        if (n) nodes.update({ id, fixed: !n.fixed });
        await openEntity(id);
      }],
      ["设为起点 path from", async () => { $("path-from").value = info.label; }],
      ["设为终点 path to", async () => { $("path-to").value = info.label; }],
    ];
    for (const [text, action] of buttons) {
      const b = el("button", text);
      b.type = "button";
      b.addEventListener("click", () => { action().catch(fail); });
      actions.appendChild(b);
    }
    parts.push(actions);
    const links = el("div", null, "actions");
    const page = safeHref(info.links && info.links.page);
    if (page) {
      const a = el("a", "Linked Data 页面");
      a.href = page;
      a.target = "_blank";
      a.rel = "noopener";
      links.appendChild(a);
    }
    const sparql = safeHref(info.links && info.links.sparql);
    if (sparql) {
      const a = el("a", "在 SPARQL 中查看 (DESCRIBE)");
      a.href = sparql;
      a.target = "_blank";
      a.rel = "noopener";
      links.appendChild(a);
    }
    parts.push(links);
    parts.push(el("h3", `事实 facts (${(info.facts || []).length})`));
    for (const fact of info.facts || []) parts.push(describeFact(fact));
    if (!(info.facts || []).length) parts.push(el("div", "没有抽取到关系 no extracted relations", "meta"));
    if ((info.comentions || []).length) {
      parts.push(el("h3", `共现 co-mentioned with (${info.comentions.length})`));
      for (const c of info.comentions) {
        const row = el("div", null, "fact");
        row.appendChild(entityLink(c.entity));
        row.appendChild(el("span", ` ×${c.count}`));
        evidence(row, c);
        parts.push(row);
      }
    }
    if ((info.sentences || []).length) {
      parts.push(el("h3", "提及 mentioned in"));
      for (const s of info.sentences) {
        const row = el("div", null, "fact");
        evidence(row, s);
        parts.push(row);
      }
    }
    openPanel(parts);
  }

  // ------------------------------------------------------------------------------------------------------- paths
  function clearHighlight() {
    const updates = [];
    for (const id of state.highlighted) {
      const e = edges.get(id);
      if (e) updates.push({ id, width: e.baseWidth, color: e.baseColor, highlight: false });
    }
    edges.update(updates);
    state.highlighted.clear();
  }

  async function findPath(fromKey, toKey) {
    const data = await backend.path(fromKey, toKey);
    if (!data.found) {
      showNotice(`${fromKey} 与 ${toKey} 之间没有路径 no path`);
      return;
    }
    clearHighlight();
    if (data.edges.some((e) => e.kind === "comention") && !state.comention) {
      $("comention").checked = true;
      state.comention = true;
      edgeView.refresh();
    }
    addData(data);
    const onPath = new Set();
    for (const p of data.paths) for (let i = 0; i + 1 < p.length; i++) onPath.add(p[i] + "\u0001" + p[i + 1]);
    const updates = [];
    for (const e of edges.get()) {
      if (onPath.has(e.from + "\u0001" + e.to) || onPath.has(e.to + "\u0001" + e.from)) {
        updates.push({ id: e.id, width: 5, color: { color: "#d62728", opacity: 1 }, highlight: true });
        state.highlighted.add(e.id);
      }
    }
    edges.update(updates);
    const pathNodes = [...new Set(data.paths.flat())];
    for (const id of pathNodes) state.hidden.delete(id);
    nodeView.refresh();
    network.selectNodes(pathNodes);
    document.body.dataset.path = pathNodes.join(" ");
    network.once("stabilizationIterationsDone", () => network.fit({ nodes: pathNodes, animation: false }));
    settle();
    const label = (id) => (nodes.get(id) || { label: id }).label;
    const parts = [el("h2", `路径 path: ${label(data.source)} → ${label(data.target)}`)];
    parts.push(el("div", `${data.paths.length} 条最短路径, ${data.paths[0].length - 1} 跳 hops`, "meta"));
    data.paths.forEach((p, index) => {
      parts.push(el("h3", `路径 ${index + 1}: ${p.map(label).join(" → ")}`));
      for (let i = 0; i + 1 < p.length; i++) {
        const step = data.steps.find((s) => s.from === p[i] && s.to === p[i + 1]) || { evidence: [] };
        const box = el("div", null, "step");
        box.appendChild(el("strong", `${label(p[i])} — ${label(p[i + 1])}`));
        for (const fact of step.evidence.slice(0, 3)) box.appendChild(describeFact(fact));
        parts.push(box);
      }
    });
    state.panel = null;
    document.body.dataset.panel = "";
    openPanel(parts);
  }

  // ------------------------------------------------------------------------------------------------- communities
  async function colourCommunities() {
    const ids = nodes.getIds();
    const data = await backend.communities(ids);
    state.community = data;
    nodes.update(nodes.get().map((n) => ({ id: n.id,
      color: data.membership[n.id] !== undefined ? colours[data.membership[n.id] % colours.length] : n.baseColor })));
    const list = $("community-list");
    list.replaceChildren();
    $("community-heading").hidden = false;
    for (const c of data.communities.slice(0, 12)) {
      const item = el("li");
      const swatch = el("i", null, "swatch");
      swatch.style.background = colours[c.id % colours.length];
      item.appendChild(swatch);
      item.appendChild(el("span", `${c.size}: `));
      c.members.forEach((m, i) => {
        if (i) item.appendChild(document.createTextNode("、"));
        item.appendChild(entityLink(m));
      });
      list.appendChild(item);
    }
  }

  function plainColours() {
    state.community = null;
    nodes.update(nodes.get().map((n) => ({ id: n.id, color: n.baseColor })));
    $("community-list").replaceChildren();
    $("community-heading").hidden = true;
  }

  // ------------------------------------------------------------------------------------------------------ export
  function download(href, name) {
    const a = el("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function exportPng() {
    const canvas = document.querySelector("#graph canvas");
    const url = canvas.toDataURL("image/png");
    explorer.lastExport = url;
    download(url, "graph.png");
  }

  async function exportTurtle() {
    const ids = nodeView.getIds();
    const text = await backend.turtle(ids);
    explorer.lastExport = text;
    download(URL.createObjectURL(new Blob([text], { type: "text/turtle" })), "subgraph.ttl");
  }

  // ------------------------------------------------------------------------------------------------------ search
  let searchTimer = null;
  let suggestions = [];
  let active = -1;

  function renderSuggestions() {
    const list = $("suggestions");
    list.replaceChildren();
    suggestions.forEach((n, i) => {
      const item = el("li", n.label);
      if (i === active) item.className = "active";
      item.appendChild(el("span", n.type, "type"));
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(n);
      });
      list.appendChild(item);
    });
    list.hidden = suggestions.length === 0;
  }

  function choose(n) {
    $("search").value = n.label;
    suggestions = [];
    renderSuggestions();
    focusEntity(n.id).catch(fail);
  }

  async function suggest() {
    const q = $("search").value;
    if (!q.trim()) { suggestions = []; renderSuggestions(); return; }
    const data = await backend.search(q);
    if ($("search").value !== q) return;
    suggestions = data.results;
    active = -1;
    renderSuggestions();
  }

  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { suggest().catch(fail); }, 120);
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!suggestions.length) return;
      active = (active + (event.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length;
      renderSuggestions();
    } else if (event.key === "Escape") {
      suggestions = [];
      renderSuggestions();
    }
  });
  $("search").addEventListener("blur", () => { setTimeout(() => { suggestions = []; renderSuggestions(); }, 150); });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("search").value;
    if (active >= 0 && suggestions[active]) { choose(suggestions[active]); return; }
    backend.search(q).then((data) => {
      if (data.results.length) choose(data.results[0]);
      else showNotice(`没有找到 no entity matches ${q}`);
    }).catch(fail);
  });

  // ----------------------------------------------------------------------------------------------------- wiring
  network.on("click", (params) => {
    if (params.nodes.length === 1) openEntity(params.nodes[0]).catch(fail);
  });
  network.on("doubleClick", (params) => {
    if (params.nodes.length === 1) expand(params.nodes[0]).catch(fail);
  });
  for (const input of document.querySelectorAll("#type-filters input")) {
    input.addEventListener("change", () => {
      if (input.checked) state.types.add(input.value); else state.types.delete(input.value);
      nodeView.refresh();
      counts();
    });
  }
  $("comention").addEventListener("change", () => {
    state.comention = $("comention").checked;
    edgeView.refresh();
    counts();
  });
  $("community").addEventListener("change", () => {
    if ($("community").checked) colourCommunities().catch(fail); else plainColours();
  });
  $("top").addEventListener("click", () => { loadTop().catch(fail); });
  $("path-form").addEventListener("submit", (event) => {
    event.preventDefault();
    findPath($("path-from").value.trim(), $("path-to").value.trim()).catch(fail);
  });
  $("export-png").addEventListener("click", exportPng);
  $("export-ttl").addEventListener("click", () => { exportTurtle().catch(fail); });
  $("panel-close").addEventListener("click", () => {
    $("panel").hidden = true;
    document.body.classList.remove("with-panel");
    state.panel = null;
  });

  const explorer = { config, backend, network, nodes, edges, nodeView, edgeView, state, focusEntity, findPath,
    openEntity, expand, loadTop, lastExport: null };
  window.kgExplorer = explorer;

  $("max-nodes").value = config.max || 150;
  showNotice("正在读取图… loading the graph (a big store takes a while the first time)");
  if (config.hops) $("hops").value = String(config.hops);
  const start = waitForGraph().then(() => !config.focus ? loadTop()
    : backend.nodes && backend.nodes.has(config.focus) ? focusEntity(config.focus)
    : backend.search(config.focus).then((data) => {
      if (data.results.length) return focusEntity(data.results[0].id);
      showNotice(`没有找到 no entity matches ${config.focus}`);
      return loadTop();
    }));
  start.then(() => { document.body.dataset.loaded = "1"; }).catch(fail);
})();
