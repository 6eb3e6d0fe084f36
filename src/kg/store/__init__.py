"""Stage 4: graph stores behind one interface, chosen by a ``--store`` spec.

Specs: a directory path (embedded Oxigraph, the default ``./kg-data``), ``memory:`` (Oxigraph in memory),
``rdflib:`` (rdflib in memory) or an ``http(s)://`` SPARQL 1.1 server (see :mod:`kg.store.remote_store`).
New backends register in :data:`BACKENDS` by URI scheme, like rdflib's plugins.
"""

from __future__ import annotations

from collections.abc import Callable

from kg.store.base import GraphStore, QueryError, QueryResult, StoreError
from kg.store.memory_store import RdflibStore
from kg.store.oxigraph_store import OxigraphStore
from kg.store.remote_store import RemoteStore

DEFAULT_STORE = "kg-data"

BACKENDS: dict[str, Callable[[str, bool], GraphStore]] = {
    "memory:": lambda spec, read_only: OxigraphStore(None),
    "rdflib:": lambda spec, read_only: RdflibStore(),
    "http://": lambda spec, read_only: RemoteStore(spec),
    "https://": lambda spec, read_only: RemoteStore(spec),
}


def open_store(spec: str | None = None, *, read_only: bool = False) -> GraphStore:
    """Open the store a ``--store`` value names; raises :class:`StoreError` with a readable message."""
    spec = spec or DEFAULT_STORE
    for prefix, factory in BACKENDS.items():
        if spec.startswith(prefix):
            return factory(spec, read_only)
    return OxigraphStore(spec, read_only=read_only)


__all__ = ["DEFAULT_STORE", "GraphStore", "OxigraphStore", "QueryError", "QueryResult", "RdflibStore", "RemoteStore",
           "StoreError", "open_store"]
