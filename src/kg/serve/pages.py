"""HTML pages: the home page with counts and the named queries (the explorer is in :mod:`kg.serve.explore`).

Every value from the graph goes through Jinja's autoescaping, so names from news text are shown as text.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from kg.resources import named_queries
from kg.store import GraphStore

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


@pages.route("/explore/")
def explore() -> Response:
    """The explorer moved to :mod:`kg.serve.explore`; this keeps ``url_for("pages.explore")`` in templates working."""
    return redirect(url_for("explore.page", **request.args), code=308)
