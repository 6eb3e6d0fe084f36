"""The Flask application factory (Flask's own shape: config in, blueprints registered, no globals).

Every stage the server shows is read through the store's query interface only.  Queries from clients run on a
*runner* (see :mod:`kg.serve.runner`) that enforces the time limit; the app adds what every response needs: CORS for
browser clients elsewhere, gzip for large bodies, and plain-text errors that machine clients can show as they are.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kg.rdf import DEFAULT_BASE
from kg.serve.hot_path import MAX_REQUEST_BYTES, SparqlHotPath, cors_headers, maybe_gzip
from kg.store import GraphStore


def create_app(store: GraphStore, *, base: str = DEFAULT_BASE, result_limit: int = 10_000, timeout: float = 30.0,
               runner: object | None = None, allow_update: bool = False, token: str | None = None) -> Flask:
    """Build the app over ``store``.

    ``runner`` runs client queries (a :class:`~kg.serve.runner.ProcessRunner` in ``kg serve`` so that the time limit
    stops the work); by default queries run on threads of this process.  ``/update`` exists only when
    ``allow_update`` is set and a ``token`` is given.
    """
    from kg.serve.runner import InlineRunner

    if allow_update and not token:
        raise ValueError("--allow-update needs --token: updates are only accepted with a bearer token")
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # document IRIs may hold "//"; /id/ must see the path as minted
    app.config.update(KG_BASE=base, KG_RESULT_LIMIT=result_limit, KG_TIMEOUT=timeout, KG_ALLOW_UPDATE=allow_update,
                      KG_TOKEN=token or "", JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["kg_store"] = store
    app.extensions["kg_runner"] = runner if runner is not None else InlineRunner(store)
    from kg.serve.explore import explore
    from kg.serve.linked_data import linked_data
    from kg.serve.pages import pages
    from kg.serve.queries_bp import queries_bp
    from kg.serve.sparql import sparql

    app.register_blueprint(sparql)
    app.register_blueprint(pages)
    app.register_blueprint(queries_bp)
    app.register_blueprint(linked_data)
    app.register_blueprint(explore)
    if allow_update:
        from kg.serve.update import update_bp

        app.register_blueprint(update_bp)
    app.register_error_handler(HTTPException, _plain_error)
    app.after_request(_cors)
    app.after_request(_gzip)
    app.wsgi_app = SparqlHotPath.in_front_of(app)  # type: ignore[method-assign]
    return app


def _plain_error(exc: HTTPException) -> Response:
    """Errors as one line of text (what curl, SPARQLWrapper and rdflib show their users), keeping ``Allow`` etc."""
    response = Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code or 500,
                        mimetype="text/plain")
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _cors(response: Response) -> Response:
    for name, value in cors_headers(request.path, request.method):
        response.headers[name] = value
    return response


def _gzip(response: Response) -> Response:
    response.vary.add("Accept")
    response.vary.add("Accept-Encoding")
    if response.direct_passthrough or response.status_code != 200 or "Content-Encoding" in response.headers:
        return response
    packed = maybe_gzip(response.get_data(), request.headers.get("Accept-Encoding", ""))
    if packed is not None:
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
    return response
