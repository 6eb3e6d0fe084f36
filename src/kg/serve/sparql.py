"""The SPARQL 1.1 Protocol endpoint (query operation, read-only).

GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; results as SPARQL JSON (default), XML, CSV or
TSV by ``Accept`` or ``format``; errors as ``400`` with a plain-text message that says what is wrong.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from kg.store import GraphStore, QueryError, StoreError
from kg.store.results import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES, serialize

sparql = Blueprint("sparql", __name__)

_RESULT_BY_MEDIA = {v: k for k, v in RESULT_MEDIA_TYPES.items()} | {"application/json": "json",
                                                                    "application/xml": "xml", "text/xml": "xml"}
_GRAPH_BY_MEDIA = {v: k for k, v in GRAPH_MEDIA_TYPES.items()} | {"application/x-turtle": "turtle",
                                                                  "text/plain": "nt", "application/json": "jsonld"}


def _text(message: str, status: int) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def _choose(kind: str) -> str | None:
    """Pick the output format from ``format`` or the Accept header (q-values honoured); None when nothing fits."""
    table = _GRAPH_BY_MEDIA if kind == "graph" else _RESULT_BY_MEDIA
    default = "turtle" if kind == "graph" else "json"
    wanted = request.values.get("format")
    if wanted:
        names = set(table.values())
        return wanted if wanted in names else None
    if not request.accept_mimetypes or request.accept_mimetypes.best in ("*/*", None):
        return default
    best = request.accept_mimetypes.best_match([*table, "*/*"])
    if best is None:
        return None
    return default if best == "*/*" else table[best]


@sparql.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    if request.method == "POST":
        ctype = (request.mimetype or "").lower()
        if ctype == "application/sparql-query":
            queries = [request.get_data(as_text=True)]
        elif ctype == "application/x-www-form-urlencoded":
            queries = request.form.getlist("query")
        elif ctype == "application/sparql-update" or "update" in request.form:
            return _text("updates are not accepted: this endpoint is read-only", 400)
        else:
            return _text(f"unsupported content type {ctype or '(none)'}; use application/sparql-query or "
                         "application/x-www-form-urlencoded", 415)
    else:
        queries = request.args.getlist("query")
        if "update" in request.args:
            return _text("updates are not accepted: this endpoint is read-only", 400)
    if not queries:
        return _text("missing 'query' parameter: send ?query=SELECT … or POST a query", 400)
    if len(queries) > 1:
        return _text("more than one 'query' parameter: send exactly one query", 400)
    store: GraphStore = current_app.extensions["kg_store"]
    try:
        result = store.query(queries[0], limit=current_app.config["KG_RESULT_LIMIT"])
    except QueryError as exc:
        return _text(str(exc), 400)
    except StoreError as exc:
        return _text(str(exc), 500)
    fmt = _choose(result.kind)
    if fmt is None:
        return _text("none of the requested media types can carry this result", 406)
    body = serialize(result, fmt)
    media = GRAPH_MEDIA_TYPES[fmt] if result.kind == "graph" else RESULT_MEDIA_TYPES[fmt]
    response = Response(body, mimetype=media)
    response.headers["Access-Control-Allow-Origin"] = "*"
    if result.truncated:
        response.headers["X-KG-Truncated"] = f"results cut at {current_app.config['KG_RESULT_LIMIT']} rows"
    return response
