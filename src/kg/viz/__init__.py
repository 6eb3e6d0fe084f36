"""Stage: the entity network (networkx) and its drawing (vis-network from pyvis), offline."""

from kg.viz.graph import Explorer, entity_graph, focus, pagerank, top_nodes
from kg.viz.render import render_html, static_explorer

__all__ = ["Explorer", "entity_graph", "focus", "pagerank", "render_html", "static_explorer", "top_nodes"]
