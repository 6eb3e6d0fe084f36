"""The graph explorer: the ``/explore`` page and the JSON API it draws from.

Every view is chosen on the server (the browser never receives the whole graph): ``/api/graph`` (most central),
``/api/search``, ``/api/neighbourhood``, ``/api/entity`` (side panel: facts with their sentences), ``/api/path``
(shortest paths with evidence), ``/api/communities`` (Louvain over what is on screen) and ``/api/subgraph.ttl``
(Turtle of what is on screen).  Each HTML view has this machine-readable twin, as in datasette.

The entity graph and its PageRank are computed once per store version and shared between requests.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
import time
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from kg.rdf.namespaces import KG
from kg.store import GraphStore, QueryError, StoreError
from kg.viz.facts import edge_evidence, entity_facts, subgraph_turtle
from kg.viz.graph import ENTITY_TYPES, Explorer
from kg.viz.render import COMMUNITY_COLOURS, legend, view, vis_assets

explore = Blueprint("explore", __name__, static_folder="static/explore", static_url_path="/explore/static")

DEFAULT_MAX, MAX_NODES, MAX_IDS = 150, 2000, 5000
VERSION_CHECK_SECONDS = 2.0
_VERSION_QUERY = f"SELECT ?h WHERE {{ ?d <{KG}contentHash> ?h }}"


class ExplorerCache:
    """One :class:`Explorer` per store version; the version is re-read at most every couple of seconds.

    The version is the set of named graphs and document content hashes: cheap to read, and it changes whenever
    ``kg build`` or ``kg import`` replaces a document graph (counting triples would cost a full scan).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._explorer: Explorer | None = None
        self._version = ""
        self._checked = 0.0

    def _read_version(self) -> str:
        digest = hashlib.sha256()
        for name in self.store.graphs():
            digest.update(name.encode())
        for h in sorted(str(r["h"]) for r in self.store.query(_VERSION_QUERY).rows):
            digest.update(h.encode())
        return digest.hexdigest()

    def get(self) -> Explorer:
        with self._lock:
            now = time.monotonic()
            if self._explorer is None or now - self._checked > VERSION_CHECK_SECONDS:
                version = self._read_version()
                if self._explorer is None or version != self._version:
                    self._explorer = Explorer.from_store(self.store)
                    self._version = version
                self._checked = now
            return self._explorer


@explore.record_once
def _warm(state: Any) -> None:
    """Start building the entity graph as soon as the app exists, so the first visitor of a big graph does not
    wait for it (50,000 entities take tens of seconds to read from a busy on-disk store).  Requests arriving
    meanwhile wait on the cache's lock; ``KG_EXPLORE_WARM = False`` in the config turns this off."""
    app = state.app
    store = app.extensions.get("kg_store")
    if store is None or app.config.get("KG_EXPLORE_WARM") is False:
        return
    cache = app.extensions["kg_explorer"] = ExplorerCache(store)

    def build() -> None:
        # The store may be closed before this finishes (short-lived apps in tests); then there is nothing to warm.
        with contextlib.suppress(Exception):
            cache.get()

    threading.Thread(target=build, name="kg-explore-warm", daemon=True).start()


def _store() -> GraphStore:
    return current_app.extensions["kg_store"]


def _explorer() -> Explorer:
    cache = current_app.extensions.get("kg_explorer")
    if cache is None or cache.store is not _store():
        cache = current_app.extensions["kg_explorer"] = ExplorerCache(_store())
    return cache.get()


class ApiError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@explore.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(error=str(exc)), exc.status


@explore.errorhandler(QueryError)
@explore.errorhandler(StoreError)
def _store_error(exc: Exception) -> tuple[Response, int]:
    return jsonify(error=str(exc)), 500


def _int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, default, type=int)
    return min(max(value, low), high)


def _flag(name: str, default: bool = True) -> bool:
    value = request.args.get(name)
    return default if value is None else value.lower() not in ("0", "false", "no", "off", "")


def _entity(explorer: Explorer, name: str, *, param: str = "id") -> str:
    key = (request.args.get(name) or "").strip()
    if not key:
        raise ApiError(f"missing '{param}' parameter: an entity IRI or its exact name")
    iri = explorer.resolve(key) or next(iter(explorer.search(key, limit=1)), None)  # exact, else best match
    if iri is None:
        raise ApiError(f"no entity {key!r} in the graph", 404)
    return iri


def _ids_from_request(explorer: Explorer) -> list[str]:
    """Entity IRIs sent as JSON ``{"ids": [...]}`` or repeated ``id`` parameters; unknown ones are dropped."""
    ids: list[Any] = []
    if request.is_json:
        body = request.get_json(silent=True) or {}
        ids = body.get("ids", []) if isinstance(body, dict) else []
    ids = ids or request.values.getlist("id")
    if not isinstance(ids, list) or len(ids) > MAX_IDS:
        raise ApiError(f"send at most {MAX_IDS} entity IRIs as a JSON list under 'ids'")
    return [i for i in dict.fromkeys(str(i) for i in ids) if i in explorer.graph]


def _node(explorer: Explorer, iri: str) -> dict[str, Any]:
    data = explorer.graph.nodes[iri]
    return {"id": iri, "label": data["label"], "type": data["type"], "aliases": list(data["aliases"])}


def _page(iri: str) -> str:
    """The entity's Linked Data page on this server when it was minted under our base, else the IRI itself."""
    base = current_app.config.get("KG_BASE", "")
    if base.endswith("/id/") and iri.startswith(base):
        return "/id/" + quote(iri[len(base):], safe="/")
    return iri


@explore.route("/explore")
def page() -> str:
    config = {
        "mode": "api",
        "api": {name: url_for(f"explore.{name}") for name in
                ("graph", "search", "neighbourhood", "entity", "path", "communities", "subgraph")},
        "sparql": url_for("sparql.endpoint"),
        "max": _int("max", DEFAULT_MAX, 1, MAX_NODES),
        "hops": _int("hops", 2, 1, 3),
        "focus": request.args.get("focus", "").strip(),
        "colours": COMMUNITY_COLOURS,
        "legend": legend(),
    }
    return render_template("explore.html", title="kg — explore the graph", config=config, inline=False,
                           legend=legend())


@explore.route("/explore/vis/<name>")
def vis(name: str) -> Response:
    """vis-network from the copy pyvis ships, so the page needs nothing from outside this server."""
    js, css = vis_assets()
    if name == "vis-network.min.js":
        response = Response(js, mimetype="text/javascript")
    elif name == "vis-network.css":
        response = Response(css, mimetype="text/css")
    else:
        raise ApiError(f"no asset {name}", 404)
    response.cache_control.max_age = 86400
    return response


@explore.route("/api/graph")
def graph() -> Response:
    """The most central entities (top ``max`` by PageRank), optionally of some ``types`` only."""
    explorer = _explorer()
    limit = _int("max", DEFAULT_MAX, 1, MAX_NODES)
    types = {t for t in request.args.get("types", "").split(",") if t in ENTITY_TYPES} or None
    ids = explorer.top(limit, types=types)
    total = explorer.graph.number_of_nodes() if types is None else \
        sum(1 for _, d in explorer.graph.nodes(data=True) if d["type"] in types)
    return jsonify(view(explorer, ids, comention=_flag("comention"), total=total))


@explore.route("/api/search")
def search() -> Response:
    """Entities by Chinese name or alias: exact, then prefix, then substring matches."""
    explorer = _explorer()
    q = request.args.get("q", "")
    hits = explorer.search(q, limit=_int("limit", 20, 1, 200))
    return jsonify(query=q, results=[_node(explorer, iri) for iri in hits])


@explore.route("/api/neighbourhood")
def neighbourhood() -> Response:
    """Entities within ``hops`` (1–3) of ``id``, nearest and most central first, at most ``max``."""
    explorer = _explorer()
    centre = _entity(explorer, "id")
    limit = _int("max", DEFAULT_MAX, 1, MAX_NODES)
    hops = _int("hops", 1, 1, 3)
    comention = _flag("comention")
    ids, total = explorer.neighbourhood([centre], hops, limit, comention=comention)
    notice = f"showing {len(ids)} of {total} entities within {hops} hops" if total > len(ids) else ""
    return jsonify(centre=centre, hops=hops, **view(explorer, ids, comention=comention, total=total, notice=notice))


@explore.route("/api/entity")
def entity() -> Response:
    """The side panel: label, type, aliases, facts with their sentences, co-mentions, links."""
    explorer = _explorer()
    iri = _entity(explorer, "id")
    info = _node(explorer, iri)
    info.update(entity_facts(_store(), explorer.graph, iri))
    info["degree"] = explorer.graph.degree(iri)
    info["rank"] = explorer.rank.get(iri, 0.0)
    info["links"] = {"page": _page(iri), "sparql": url_for("sparql.endpoint", query=f"DESCRIBE <{iri}>")}
    return jsonify(info)


@explore.route("/api/path")
def path() -> Response:
    """Shortest paths between ``from`` and ``to`` (IRIs or names), each edge with the statements behind it."""
    explorer = _explorer()
    source = _entity(explorer, "from", param="from")
    target = _entity(explorer, "to", param="to")
    paths = explorer.paths(source, target, limit=_int("k", 3, 1, 10), comention=_flag("comention", False))
    nodes = list(dict.fromkeys(n for p in paths for n in p))
    pairs = list(dict.fromkeys((a, b) for p in paths for a, b in itertools.pairwise(p)))
    facts = edge_evidence(_store(), explorer.graph.nodes, pairs)
    steps = []
    for a, b in pairs:
        steps.append({"from": a, "to": b, "evidence": [f for f in facts if {f["subject"]["id"], f.get(
            "object", {}).get("id")} == {a, b}]})
    data = view(explorer, nodes, comention=True, total=len(nodes)) if nodes else {"nodes": [], "edges": []}
    return jsonify(source=source, target=target, paths=paths, steps=steps, nodes=data["nodes"],
                   edges=data["edges"], found=bool(paths))


@explore.route("/api/communities", methods=["GET", "POST"])
def communities() -> Response:
    """Louvain communities of the entities on screen (POST ``{"ids": [...]}``) or of the top ``max``."""
    explorer = _explorer()
    ids = _ids_from_request(explorer) or explorer.top(_int("max", DEFAULT_MAX, 1, MAX_NODES))
    found = explorer.communities(ids)
    membership = {iri: index for index, members in enumerate(found) for iri in members}
    return jsonify(communities=[{"id": index, "size": len(members),
                                 "members": [_node(explorer, m) for m in members[:5]]}
                                for index, members in enumerate(found)], membership=membership)


@explore.route("/api/subgraph.ttl", methods=["GET", "POST"])
def subgraph() -> Response:
    """Turtle for the entities on screen and the relations among them (the explorer's "export Turtle")."""
    explorer = _explorer()
    ids = _ids_from_request(explorer)
    if not ids:
        raise ApiError("no known entity IRIs given: POST {\"ids\": [...]}")
    response = Response(subgraph_turtle(_store(), ids), mimetype="text/turtle")
    response.headers["Content-Disposition"] = 'attachment; filename="subgraph.ttl"'
    return response
