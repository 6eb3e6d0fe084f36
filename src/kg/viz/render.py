"""Drawing the entity network: vis-network data for the explorer, and the explorer as one self-contained file.

Nodes and edges are produced in the shape pyvis hands to vis-network (``id``/``label``/``shape``/``color``/``size``,
``from``/``to``/``label``/``dashes``), but built directly: pyvis's ``Network.add_edge`` checks node membership in a
list, which is quadratic and too slow for views of thousands of nodes.  The drawing library is the vis-network copy
pyvis ships (never a CDN), served by the app or inlined into the static file.

Labels travel as JSON data and are drawn by vis-network on a canvas, and every other string is put into the page
with ``textContent`` by the explorer script, so names from news text can never inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any

from kg.store import GraphStore
from kg.viz.facts import entity_facts
from kg.viz.graph import Explorer

if TYPE_CHECKING:
    import networkx as nx

TYPE_STYLE = {
    "Agency": {"color": "#4e79a7", "shape": "box", "zh": "机构"},
    "Person": {"color": "#e15759", "shape": "ellipse", "zh": "人物"},
    "Place": {"color": "#59a14f", "shape": "diamond", "zh": "地点"},
    "Project": {"color": "#f28e2b", "shape": "triangle", "zh": "项目"},
    "Event": {"color": "#b07aa1", "shape": "star", "zh": "事件"},
}
OTHER_STYLE = {"color": "#999999", "shape": "dot", "zh": "其他"}
COMMUNITY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"]
VIS_DIR = "vis-9.1.2"


def vis_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet, from the copy bundled with pyvis."""
    lib = resources.files("pyvis") / "lib" / VIS_DIR
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), \
        (lib / "vis-network.css").read_text(encoding="utf-8")


def vis_nodes(explorer: Explorer, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Node records: style by type, size by PageRank relative to the most central entity of the whole graph."""
    top = explorer.max_rank or 1.0
    out = []
    for iri in ids:
        data = explorer.nodes[iri]
        style = TYPE_STYLE.get(data["type"], OTHER_STYLE)
        rank = explorer.rank.get(iri, 0.0)
        out.append({"id": iri, "label": data["label"], "type": data["type"], "aliases": list(data["aliases"]),
                    "rank": round(rank, 8), "shape": style["shape"],
                    "color": style["color"], "size": round(10 + 30 * math.sqrt(rank / top), 2)})
    return out


def vis_edges(explorer: Explorer, ids: Iterable[str], *, comention: bool = True) -> list[dict[str, Any]]:
    """Edge records among ``ids``; the script styles them by ``kind`` (relations labelled and arrowed, co-mentions
    faint and dashed), which keeps the payload to the facts: a thousand-node view is a third smaller."""
    out = []
    for s, o, _, data in explorer.edges_among(ids, comention=comention):
        edge = {"id": f"{s}|{data['predicate']}|{o}", "from": s, "to": o, "predicate": data["predicate"],
                "kind": data["kind"], "count": data["count"]}
        if data["kind"] != "comention":
            edge["label"] = data["predicate"]
        out.append(edge)
    out.sort(key=lambda e: e["id"])
    return out


def view(explorer: Explorer, ids: list[str], *, comention: bool = True, total: int | None = None,
         notice: str = "") -> dict[str, Any]:
    """The JSON a view of the explorer draws: nodes, edges, and how many entities there were to choose from."""
    total = explorer.number_of_nodes() if total is None else total
    if not notice and total > len(ids):
        notice = f"showing the {len(ids)} most central of {total} entities"
    return {"nodes": vis_nodes(explorer, ids), "edges": vis_edges(explorer, ids, comention=comention),
            "total": total, "shown": len(ids), "notice": notice}


def legend() -> list[dict[str, str]]:
    return [{"type": t, **s} for t, s in TYPE_STYLE.items()]


def _template_environment() -> Any:
    """The Jinja environment over the serve package's templates: the static file uses the very page /explore serves."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = resources.files("kg.serve") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
    # tojson still escapes < > & ' for HTML; keeping Chinese as is makes the file half the size and greppable.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def explorer_assets() -> tuple[str, str]:
    """The explorer's own script and stylesheet."""
    folder = resources.files("kg.serve") / "static" / "explore"
    return (folder / "explore.js").read_text(encoding="utf-8"), (folder / "explore.css").read_text(encoding="utf-8")


def standalone_page(config: dict[str, Any], *, title: str = "kg — entity network") -> str:
    """The explorer page with vis-network, its script, style and data inlined: works from a file, offline."""
    vis_js, vis_css = vis_assets()
    js, css = explorer_assets()
    template = _template_environment().get_template("explore.html")
    return template.render(title=title, config=config, inline=True, vis_js=vis_js, vis_css=vis_css,
                           explore_js=js, explore_css=css, legend=legend())


def embedded_config(explorer: Explorer, ids: list[str], *, facts: dict[str, Any] | None = None,
                    notice: str = "", total: int | None = None, focus: str = "") -> dict[str, Any]:
    """Everything the static explorer needs, since it has no server to ask: the view, facts and communities."""
    data = view(explorer, ids, total=total, notice=notice)
    membership = {}
    communities = []
    for index, members in enumerate(explorer.communities(ids)):
        for iri in members:
            membership[iri] = index
        communities.append({"id": index, "size": len(members), "members": [
            {"id": m, "label": explorer.nodes[m]["label"]} for m in members[:5]]})
    return {"mode": "embedded", "view": data, "facts": facts or {}, "focus": focus, "max": max(len(ids), 1), "hops": 2,
            "communities": {"communities": communities, "membership": membership},
            "colours": COMMUNITY_COLOURS, "legend": legend()}


def render_html(graph: nx.MultiGraph, *, title: str = "kg — entity network", notice: str = "") -> str:
    """A static page for a networkx entity graph (no facts): kept for callers that hold only a graph."""
    explorer = Explorer.from_graph(graph)
    config = embedded_config(explorer, list(graph.nodes), notice=notice)
    return standalone_page(config, title=title)


def static_explorer(store: GraphStore, *, focus: str = "", hops: int = 2, max_nodes: int = 300,
                    title: str = "kg — entity network") -> tuple[str, int, int]:
    """The page ``kg viz`` writes: the top ``max_nodes`` (of the focus neighbourhood, when given) with every shown
    entity's facts and sentences embedded, so search, panel, paths and communities work from the file alone.

    Returns the HTML and the numbers of entities and links it draws; raises ``KeyError`` for an unknown focus.
    """
    explorer = Explorer.from_store(store)
    centre = ""
    if focus:
        hits = explorer.search(focus, limit=1, exact=True) or explorer.search(focus, limit=1)
        if not hits:
            raise KeyError(focus)
        centre = hits[0]
        ids, total = explorer.neighbourhood([centre], hops, max_nodes)
        notice = f"showing {len(ids)} of {total} entities within {hops} hops" if total > len(ids) else ""
    else:
        ids, total = explorer.top(max_nodes), explorer.number_of_nodes()
        notice = ""
    facts = {iri: entity_facts(store, explorer, iri) for iri in ids}
    config = embedded_config(explorer, ids, facts=facts, notice=notice, total=total, focus=centre)
    config["hops"] = hops
    links = len(config["view"]["edges"])
    return standalone_page(config, title=title), len(ids), links
