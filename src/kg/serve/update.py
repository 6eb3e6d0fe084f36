"""The SPARQL 1.1 update operation at ``/update``: registered only with ``kg serve --allow-update --token T``.

Why so guarded: an update rewrites the graph everyone reads, so it needs a bearer token (compared in constant time),
and ``LOAD`` / ``SERVICE`` are refused (by the store's guard) because the server must never fetch a URL on a
request's behalf.  The store keeps its default graph the union of the named graphs (see ``GraphStore.update``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from kg.serve.sparql import check_token, text_response
from kg.store import QueryError, StoreError

update_bp = Blueprint("update", __name__)


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
    store = current_app.extensions["kg_store"]
    try:
        store.update(texts[0])
    except QueryError as exc:
        return text_response(str(exc), 400)
    except StoreError as exc:
        return text_response(f"update failed: {exc}", 500)
    return Response(status=204)
