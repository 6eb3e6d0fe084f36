"""Named queries over HTTP: ``/queries`` lists them, ``/queries/NAME`` runs one.

Why: the questions people ask this graph most (who holds which post, what money went to which project) are kept as
``queries/*.rq`` with a comment saying what they answer; serving them by name gives a stable URL for each answer, as
an HTML table for people and as SPARQL JSON/XML/CSV/TSV for scripts and spreadsheets (datasette's habit: every HTML
view has a machine twin).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for

from kg.resources import NamedQuery, named_queries
from kg.serve.negotiation import RESULT_OFFERS, prefers_html
from kg.serve.runner import Job
from kg.serve.sparql import answer_response, run, text_response

queries_bp = Blueprint("queries", __name__)


def _find(name: str) -> NamedQuery:
    for query in named_queries():
        if query.name == name:
            return query
    abort(404, description=f"no named query {name!r}; see /queries for the list")


def _wants_json() -> bool:
    fmt = request.args.get("format", "").lower()
    if fmt:
        return fmt == "json"
    return not prefers_html(request.headers.get("Accept", ""), ["application/json"])


@queries_bp.route("/queries")
def index() -> Response:
    queries = named_queries()
    if _wants_json():
        return jsonify({"queries": [{"name": q.name, "description": q.description, "query": q.text,
                                     "url": url_for("queries.run_named", name=q.name, _external=True)}
                                    for q in queries]})
    return Response(render_template("queries.html", queries=queries), mimetype="text/html")


@queries_bp.route("/queries/<name>.rq")
def text(name: str) -> Response:
    return Response(_find(name).text, mimetype="application/sparql-query")


@queries_bp.route("/queries/<name>")
def run_named(name: str) -> Response:
    query = _find(name)
    fmt = request.args.get("format")
    if not fmt and prefers_html(request.headers.get("Accept", ""), list(RESULT_OFFERS)):
        answer = run(Job(query.text, raw=True))
        if answer.result is None:
            return text_response(answer.body.decode("utf-8"), answer.status)
        result = answer.result
        rows = [[row.get(v) for v in result.vars] for row in result.rows]
        return Response(render_template("query_result.html", query=query, vars=result.vars, rows=rows,
                                        truncated=result.truncated,
                                        limit=current_app.config["KG_RESULT_LIMIT"]), mimetype="text/html")
    return answer_response(run(Job(query.text, accept=request.headers.get("Accept", ""), fmt=fmt)))
