"""Stage: the entity network (networkx) and its drawing (pyvis / vis-network), offline."""

from kg.viz.graph import entity_graph, focus, top_nodes
from kg.viz.render import render_html

__all__ = ["entity_graph", "focus", "render_html", "top_nodes"]
