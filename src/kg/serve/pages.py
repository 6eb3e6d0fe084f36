"""HTML pages: the home page with counts and the named queries, and the network explorer.

Every value from the graph goes through Jinja's autoescaping, so names from news text are shown as text.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from kg.resources import named_queries
from kg.store import GraphStore
from kg.viz import entity_graph, focus, render_html, top_nodes

pages = Blueprint("pages", __name__)

COUNTS_QUERY = """
PREFIX kg: <https://w3id.org/kgnews/ontology#>
SELECT ?type (COUNT(DISTINCT ?e) AS ?n) WHERE {
  VALUES ?type { kg:Agency kg:Person kg:Place kg:Project kg:Event kg:Document }
  ?e a ?type } GROUP BY ?type
"""


@pages.route("/")
def home() -> str:
    store: GraphStore = current_app.extensions["kg_store"]
    counts = {str(r["type"]).rsplit("#", 1)[-1]: int(r["n"]) for r in store.query(COUNTS_QUERY).rows}
    return render_template("home.html", counts=counts, triples=len(store), queries=named_queries())


@pages.route("/explore")
def explore() -> Response:
    store: GraphStore = current_app.extensions["kg_store"]
    graph = entity_graph(store)
    limit = min(max(request.args.get("max", 150, type=int), 1), 2000)
    label = request.args.get("focus", "").strip()
    notice = ""
    if label:
        try:
            graph = focus(graph, label, min(max(request.args.get("hops", 2, type=int), 1), 3))
        except KeyError:
            notice = f"no entity named {label}"
    total = graph.number_of_nodes()
    shown = top_nodes(graph, limit)
    if total > shown.number_of_nodes():
        notice = f"showing the {shown.number_of_nodes()} most central of {total} entities"
    return Response(render_html(shown, notice=notice), mimetype="text/html")
