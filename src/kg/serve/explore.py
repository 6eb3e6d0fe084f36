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
import os
import threading
import time
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from kg.rdf.namespaces import KG
from kg.store import GraphStore, QueryError, StoreError
from kg.viz import disk_cache
from kg.viz.facts import edge_evidence, entity_facts, subgraph_turtle
from kg.viz.graph import ENTITY_TYPES, Explorer
from kg.viz.render import COMMUNITY_COLOURS, legend, view, vis_assets
from kg.viz.table import read_table

explore = Blueprint("explore", __name__, static_folder="static/explore", static_url_path="/explore/static")

DEFAULT_MAX, MAX_NODES, MAX_IDS = 150, 2000, 5000
VERSION_CHECK_SECONDS = 2.0
AFTER_READY_PAUSE = 0.5
_VERSION_QUERY = f"SELECT ?h WHERE {{ ?d <{KG}contentHash> ?h }}"


class ExplorerCache:
    """One :class:`Explorer` per store version, built in a background thread and shared by the requests.

    The version is the set of named graphs and document content hashes: cheap to read, and it changes whenever
    ``kg build`` or ``kg import`` replaces a document graph (counting triples would cost a full scan); plus the
    store's own count of writes that keep graphs and hashes (a SPARQL update through ``/update``).  It is
    re-read at most every couple of seconds; when it changed, the new explorer is built in the background while
    requests keep the previous one, so nobody waits for a rebuild.  Only the very first build makes requests wait,
    and :meth:`status` tells the page how far it has got, so it can say "loading" rather than hang.

    For an on-disk store the built table and ranks are also written beside the store (:mod:`kg.viz.disk_cache`),
    keyed by a stamp of its content, so a restarted server is ready as soon as it has read that file.
    """

    def __init__(self, store: GraphStore, *, disk: bool = True, pause: float = AFTER_READY_PAUSE) -> None:
        self.store = store
        self.disk = disk
        self.pause = pause  # before saving, so that waiting requests go first (none wait in kg build)
        self._cond = threading.Condition()
        self._explorer: Explorer | None = None
        self._version = ""
        self._checked = 0.0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._phase = "waiting"
        self._started = time.monotonic()
        self.source = ""  # where the current explorer came from: "store" or "disk cache"
        self.build_seconds = 0.0

    def _read_version(self) -> str:
        digest = hashlib.sha256(str(self.store.writes).encode())
        for name in self.store.graphs():
            digest.update(name.encode())
        for h in sorted(str(r["h"]) for r in self.store.query(_VERSION_QUERY).rows):
            digest.update(h.encode())
        return digest.hexdigest()

    def start(self) -> None:
        """Start a background build unless one is running."""
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._error = None
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._build, name="kg-explore-build", daemon=True)
            self._thread.start()

    def ensure_started(self) -> None:
        """Start the first build if nothing has started one (an app created with ``KG_EXPLORE_WARM = False``)."""
        with self._cond:
            if self._thread is None:
                self.start()

    def _set_phase(self, phase: str) -> None:
        with self._cond:
            self._phase = phase

    def _build(self) -> None:
        begun = time.monotonic()
        try:
            self._set_phase("checking the store version")
            version = self._read_version()
            folder = disk_cache.store_folder(self.store) if self.disk else None
            stamp = disk_cache.store_stamp(folder, version) if folder is not None else ""
            cached = disk_cache.load(folder, stamp) if folder is not None else None
            if cached is not None:
                self._set_phase("reading the saved graph")
                explorer, source = Explorer.from_table(*cached), "disk cache"
            else:
                self._set_phase("reading entities and links from the store")
                table = read_table(self.store)
                self._set_phase("ranking entities (PageRank)")
                explorer, source = Explorer.from_table(table), "store"
            with self._cond:
                self._explorer, self._version, self._checked = explorer, version, time.monotonic()
                self.source, self.build_seconds = source, time.monotonic() - begun
                self._phase = "ready"
                self._cond.notify_all()
        except Exception as exc:  # reported to the waiting requests and to the status
            with self._cond:
                self._error = exc
                self._phase = "failed"
                self._cond.notify_all()
            return
        # After the first view can be answered: save for the next start, then the search index and neighbour lists
        # (built on first use anyway, so a failure here costs time, not answers).  First a pause, so that the requests
        # that waited for the graph are answered before this work takes the interpreter: json.dumps of the table is
        # one C call that holds the GIL for a few hundred milliseconds.
        time.sleep(self.pause)
        with contextlib.suppress(Exception):
            if folder is not None and cached is None:
                disk_cache.save(folder, stamp, explorer.table, explorer.rank_array)
            explorer.prepare()

    def get(self) -> Explorer:
        """The current explorer; the first call waits for the first build (and starts it if nobody has)."""
        with self._cond:
            if self._explorer is None:
                if self._thread is None or not self._thread.is_alive():
                    self.start()  # the condition's lock is re-entrant
                while self._explorer is None and self._error is None:
                    self._cond.wait(1.0)
                if self._explorer is None:
                    error, self._error = self._error, None
                    if isinstance(error, (StoreError, QueryError)):
                        raise error
                    raise StoreError(f"cannot read the entity graph: {error}") from error
                return self._explorer
            explorer = self._explorer
            now = time.monotonic()
            if now - self._checked <= VERSION_CHECK_SECONDS:
                return explorer
            self._checked = now
        if self._read_version() != self._version:
            self.start()  # requests keep the current explorer until the new one is ready
        return explorer

    def status(self) -> dict[str, Any]:
        """What the page shows while it waits: whether a graph is ready, what is being done, for how long."""
        with self._cond:
            running = self._thread is not None and self._thread.is_alive()
            ready = self._explorer is not None
            building = running and (not ready or self._phase != "ready")
            return {"ready": ready, "building": building, "busy": running, "phase": self._phase,
                    "seconds": round(time.monotonic() - self._started, 1) if building else
                    round(self.build_seconds, 2),
                    "entities": self._explorer.number_of_nodes() if ready else None,
                    "source": self.source or None,
                    "error": str(self._error) if self._error is not None and not ready else None}

    def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until no build is running (after the first view: the copy on disk and the search index are done)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the first explorer (for a long-polling status request)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._explorer is None and self._error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._explorer is not None


@explore.record_once
def _warm(state: Any) -> None:
    """Start building the entity graph as soon as the app exists (``kg serve`` creates it before it listens), so
    the first visitor of a big graph does not wait for it.  Requests arriving meanwhile wait for the build and the
    page shows its progress; ``KG_EXPLORE_WARM = False`` in the config turns this off, and
    ``KG_EXPLORE_DISK_CACHE = False`` keeps the built graph from being saved beside the store."""
    app = state.app
    store = app.extensions.get("kg_store")
    if store is None:
        return
    cache = app.extensions["kg_explorer"] = ExplorerCache(store, disk=_disk_allowed(app.config))
    if app.config.get("KG_EXPLORE_WARM") is not False:
        cache.ensure_started()


def save_for_next_start(store: GraphStore) -> bool:
    """Build the explorer's graph of an on-disk ``store`` and save it beside the store, so that the first
    ``kg serve`` after a build opens the explorer as fast as a restart does (``kg build`` calls this once it has
    written).  False when there is nothing to save it beside, or saving is turned off."""
    if not _disk_allowed({}) or disk_cache.store_folder(store) is None:
        return False
    cache = ExplorerCache(store, pause=0.0)
    cache.get()
    cache.wait_idle()
    return True


def _disk_allowed(config: Any) -> bool:
    """Whether the built graph may be saved beside the store: not when the app config or the environment
    (``KG_EXPLORE_DISK_CACHE=0``) says no."""
    if os.environ.get("KG_EXPLORE_DISK_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return config.get("KG_EXPLORE_DISK_CACHE", True) is not False


def _store() -> GraphStore:
    return current_app.extensions["kg_store"]


def _cache() -> ExplorerCache:
    cache = current_app.extensions.get("kg_explorer")
    if cache is None or cache.store is not _store():
        cache = current_app.extensions["kg_explorer"] = ExplorerCache(_store(),
                                                                      disk=_disk_allowed(current_app.config))
    return cache


def _explorer() -> Explorer:
    return _cache().get()


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
    return [i for i in dict.fromkeys(str(i) for i in ids) if i in explorer]


def _node(explorer: Explorer, iri: str) -> dict[str, Any]:
    data = explorer.nodes[iri]
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
                ("status", "graph", "search", "neighbourhood", "entity", "path", "communities", "subgraph")},
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


@explore.route("/api/status")
def status() -> Response:
    """Whether the entity graph is ready and, while it is being read, what is being done and for how long.

    ``wait=S`` (at most 10) holds the answer until the graph is ready or S seconds have passed, so the page learns
    that it is ready at once without polling fast.
    """
    cache = _cache()
    cache.ensure_started()
    wait = min(max(request.args.get("wait", 0.0, type=float), 0.0), 10.0)
    if wait:
        cache.wait_ready(wait)
    return jsonify(cache.status())


@explore.route("/api/graph")
def graph() -> Response:
    """The most central entities (top ``max`` by PageRank), optionally of some ``types`` only."""
    explorer = _explorer()
    limit = _int("max", DEFAULT_MAX, 1, MAX_NODES)
    types = {t for t in request.args.get("types", "").split(",") if t in ENTITY_TYPES} or None
    ids = explorer.top(limit, types=types)
    counts = explorer.type_counts()
    total = explorer.number_of_nodes() if types is None else sum(counts.get(t, 0) for t in types)
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
    info.update(entity_facts(_store(), explorer, iri))
    info["degree"] = explorer.degree(iri)
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
    facts = edge_evidence(_store(), explorer.nodes, pairs)
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
