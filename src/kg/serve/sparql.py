"""The SPARQL 1.1 Protocol endpoint (query operation; the update operation only when enabled).

GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri``
honoured; SELECT/ASK as SPARQL JSON, XML, CSV or TSV and CONSTRUCT/DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML
by ``Accept`` (q-values) or a ``format`` parameter.  Errors are plain text saying what is wrong: ``400`` for a bad
request, ``406`` when nothing acceptable exists, ``415`` for an unsupported content type, ``405`` for other methods,
``503`` when the time limit stopped a query.  GET without a query gives the Service Description, or the query page
(YASGUI) when a browser asks for HTML.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from kg.resources import named_queries
from kg.serve.hot_path import answer_headers
from kg.serve.negotiation import GRAPH_OFFERS, choose_format, media_type, prefers_html
from kg.serve.runner import Answer, Job
from kg.serve.service_description import service_description

sparql = Blueprint("sparql", __name__)

READ_ONLY = "updates are not accepted here: this is the read-only query endpoint"


def text_response(message: str, status: int) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def answer_response(answer: Answer) -> Response:
    """Turn a runner's answer into a response, with the same headers as the hot path gives."""
    response = Response(answer.body, status=answer.status)
    for name, value in answer_headers(answer, current_app.config["KG_RESULT_LIMIT"]):
        response.headers[name] = value
    return response


def run(job: Job) -> Answer:
    """Run a job on the app's runner with the configured time limit and result cap."""
    if job.limit is None:
        job.limit = current_app.config["KG_RESULT_LIMIT"]
    return current_app.extensions["kg_runner"].run(job, current_app.config["KG_TIMEOUT"])


def _decode_body() -> str:
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        return request.get_data().decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"the request body is not valid {charset}: {exc}") from exc


@sparql.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    params: MultiDict | CombinedMultiDict
    if request.method == "POST":
        ctype = (request.mimetype or "").lower()
        if ctype == "application/sparql-update":
            return text_response(READ_ONLY + "; send updates to /update", 400)
        if ctype == "application/sparql-query":
            params = request.args
            try:
                queries = [_decode_body(), *request.args.getlist("query")]
            except ValueError as exc:
                return text_response(str(exc), 400)
        elif ctype == "application/x-www-form-urlencoded":
            params = CombinedMultiDict([request.form, request.args])
            queries = params.getlist("query")
        else:
            return text_response(f"unsupported content type {ctype or '(none)'}: POST a query as "
                                 "application/sparql-query or application/x-www-form-urlencoded", 415)
    else:
        params = request.args
        queries = params.getlist("query")
    if "update" in params:
        return text_response(READ_ONLY + "; send updates to /update", 400)
    if not queries:
        if request.method == "GET":
            return _describe()
        return text_response("missing query: send ?query=SELECT … or POST one", 400)
    if len(queries) > 1:
        return text_response(f"{len(queries)} 'query' parameters: send exactly one query", 400)
    job = Job(queries[0], accept=request.headers.get("Accept", ""),
              fmt=params.get("format") or params.get("output") or None,
              default_graphs=params.getlist("default-graph-uri"), named_graphs=params.getlist("named-graph-uri"))
    return answer_response(run(job))


def _describe() -> Response:
    """Service Description for machines; the query page for a browser."""
    accept = request.headers.get("Accept", "")
    if prefers_html(accept, list(GRAPH_OFFERS)):
        queries = named_queries()
        named = [{"name": q.name, "description": q.description, "text": q.text} for q in queries]
        return Response(render_template("sparql.html", queries=queries, named=named, endpoint=request.base_url),
                        mimetype="text/html")
    fmt = choose_format("graph", accept, request.args.get("format"))
    if fmt is None:
        return text_response("the service description is available as text/turtle, application/n-triples, "
                             "application/ld+json, application/rdf+xml or text/html", 406)
    store = current_app.extensions["kg_store"]
    rdflib_format = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}[fmt]
    body = service_description(request.base_url, store.graphs(),
                               allow_update=current_app.config["KG_ALLOW_UPDATE"]).serialize(format=rdflib_format)
    return answer_response(Answer(200, media_type("graph", fmt), body.encode("utf-8")))


def check_token() -> Response | None:
    """None when the request carries the configured bearer token, else the 401 to send (constant-time compare)."""
    token = current_app.config.get("KG_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = text_response("updates need 'Authorization: Bearer TOKEN' with the token the server was started "
                                 "with", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="kg update"'
        return response
    return None
