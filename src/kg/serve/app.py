"""The Flask application factory (Flask's own shape: config in, blueprints registered, no globals).

Every stage the server shows is read through the store's query interface only.
"""

from __future__ import annotations

from flask import Flask

from kg.rdf import DEFAULT_BASE
from kg.store import GraphStore


def create_app(store: GraphStore, *, base: str = DEFAULT_BASE, result_limit: int = 10_000) -> Flask:
    app = Flask(__name__)
    app.config.update(KG_BASE=base, KG_RESULT_LIMIT=result_limit, JSON_AS_ASCII=False)
    app.extensions["kg_store"] = store
    from kg.serve.pages import pages
    from kg.serve.sparql import sparql

    app.register_blueprint(sparql)
    app.register_blueprint(pages)
    return app
