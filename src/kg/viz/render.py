"""Drawing the entity network with pyvis into one self-contained HTML file.

pyvis builds the node and edge data and the physics options; the page itself comes from our own template with
vis-network inlined from the copy pyvis ships, because pyvis's templates always link bootstrap and vis from CDNs and
the file must work offline.  Labels are passed as JSON data (vis-network renders them as text), and the legend is
escaped HTML, so names from news text can never inject markup.
"""

from __future__ import annotations

import html
import json
from importlib import resources

import networkx as nx
from pyvis.network import Network

TYPE_STYLE = {
    "Agency": {"color": "#4e79a7", "shape": "box", "zh": "机构"},
    "Person": {"color": "#e15759", "shape": "ellipse", "zh": "人物"},
    "Place": {"color": "#59a14f", "shape": "diamond", "zh": "地点"},
    "Project": {"color": "#f28e2b", "shape": "triangle", "zh": "项目"},
    "Event": {"color": "#b07aa1", "shape": "star", "zh": "事件"},
}


def _vis_assets() -> tuple[str, str]:
    lib = resources.files("pyvis") / "lib" / "vis-9.1.2"
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), \
        (lib / "vis-network.css").read_text(encoding="utf-8")


def build_network(graph: nx.MultiGraph, *, show_comentions: bool = True) -> Network:
    net = Network(height="100%", width="100%", directed=True, cdn_resources="local")
    degree = dict(graph.degree())
    for node, data in graph.nodes(data=True):
        style = TYPE_STYLE.get(data["type"], {"color": "#999999", "shape": "dot"})
        net.add_node(node, label=data["label"], title=f"{data['label']} ({data['type']})",
                     color=style["color"], shape=style["shape"], group=data["type"],
                     size=10 + 3 * min(degree.get(node, 0), 15), font={"size": 14})
    for s, o, data in graph.edges(data=True):
        if data["kind"] == "comention":
            if show_comentions:
                net.add_edge(s, o, title=f"co-mentioned ×{data['count']}", color={"color": "#cccccc", "opacity": 0.5},
                             dashes=True, arrows={"to": {"enabled": False}}, width=1)
        else:
            net.add_edge(s, o, label=data["predicate"], title=data["predicate"], width=2)
    net.toggle_physics(True)
    return net


def render_html(graph: nx.MultiGraph, *, title: str = "kg — entity network", notice: str = "") -> str:
    net = build_network(graph)
    nodes, edges, *_ = net.get_network_data()
    js, css = _vis_assets()
    data = json.dumps({"nodes": nodes, "edges": edges}, ensure_ascii=False).replace("</", "<\\/")
    legend = "".join(
        f'<span class="key"><i style="background:{s["color"]}"></i>{html.escape(t)} {html.escape(s["zh"])}</span>'
        for t, s in TYPE_STYLE.items())
    options = json.dumps({
        "physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 300}},
        "interaction": {"hover": True, "navigationButtons": False},
        "edges": {"font": {"size": 10, "align": "middle"}, "smooth": {"type": "continuous"}},
    })
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{css}
html,body{{margin:0;height:100%;font-family:sans-serif}}
#graph{{position:absolute;top:40px;bottom:0;left:0;right:0}}
header{{height:40px;display:flex;gap:1em;align-items:center;padding:0 1em;border-bottom:1px solid #ddd}}
.key i{{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}}
.notice{{color:#a33}}</style>
<script>{js}</script></head>
<body><header><strong>{html.escape(title)}</strong><span>{graph.number_of_nodes()} entities,
{graph.number_of_edges()} links</span>{legend}<span class="notice">{html.escape(notice)}</span></header>
<div id="graph"></div>
<script>
const data = {data};
const network = new vis.Network(document.getElementById("graph"),
  {{nodes: new vis.DataSet(data.nodes), edges: new vis.DataSet(data.edges)}}, {options});
network.once("stabilizationIterationsDone", () => network.setOptions({{physics: false}}));
</script></body></html>
"""
