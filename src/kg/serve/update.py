"""The SPARQL 1.1 update operation at ``/update``: registered only with ``kg serve --allow-update --token T``.

Why so guarded: an update rewrites the graph everyone reads, so it needs a bearer token (compared in constant time),
and ``LOAD`` / ``SERVICE`` are refused because the server must never fetch a URL on a request's behalf.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request

from kg.serve.sparql import check_token, text_response
from kg.store.sparql_guard import check_shape, line_col

update_bp = Blueprint("update", __name__)

_REMOTE = re.compile(r"(?<![:\w?$])(LOAD|SERVICE)\b(?!:)", re.IGNORECASE)


def check_update(text: str) -> None:
    """Raise ValueError for an update no engine should run here (too long, too deep, or fetching remote data)."""
    code = check_shape(text, "update")
    remote = _REMOTE.search(code)
    if remote:
        line, col = line_col(text, remote.start())
        raise ValueError(f"{remote.group(1).upper()} is not allowed (line {line}, column {col}): this server never "
                         "fetches remote data")


@update_bp.route("/update", methods=["POST"])
def update() -> Response:
    refused = check_token()
    if refused is not None:
        return refused
    ctype = (request.mimetype or "").lower()
    if ctype == "application/sparql-update":
        texts = [request.get_data().decode("utf-8", "replace")]
    elif ctype == "application/x-www-form-urlencoded":
        texts = request.form.getlist("update")
    else:
        return text_response(f"unsupported content type {ctype or '(none)'}: POST an update as "
                             "application/sparql-update or application/x-www-form-urlencoded", 415)
    if len(texts) != 1:
        return text_response("send exactly one 'update' parameter", 400)
    try:
        check_update(texts[0])
    except ValueError as exc:
        return text_response(str(exc), 400)
    store = current_app.extensions["kg_store"]
    engine = getattr(store, "_store", None)  # the store interface has no update operation yet (see the report)
    if engine is None or not hasattr(engine, "update"):
        return text_response(f"the {store.description} store does not accept SPARQL updates", 501)
    try:
        engine.update(texts[0])
    except SyntaxError as exc:
        return text_response(f"SPARQL syntax error: {exc}", 400)
    except (OSError, ValueError) as exc:
        return text_response(f"update failed: {exc}", 500)
    return Response(status=204)
