"""A remote SPARQL 1.1 server as a store (``--store http://host:port/…``): Oxigraph server, Virtuoso, or any server
speaking the SPARQL 1.1 Protocol, the Graph Store HTTP Protocol and SPARQL 1.1 Update.

Why these protocols and not a vendor API: they let the same ``kg build`` load a laptop's embedded store or a
server's, and move a graph between servers without code per vendor.  A document's graph is replaced by one Graph
Store ``PUT`` (the server swaps the graph in one transaction), so a build killed mid-way leaves documents whole or
absent on a server as on disk.

Endpoints.  The ``--store`` URL names the server; the three endpoints follow each server's convention and can be
overridden by environment variables:

* Oxigraph (``http://host:7878`` or ``…/query``): ``/query``, ``/update``, ``/store``.
* Virtuoso (``http://host:8890/sparql``): ``/sparql`` for queries; with credentials ``/sparql-auth`` for updates and
  ``/sparql-graph-crud-auth`` for the Graph Store protocol (HTTP digest authentication).
* ``KG_STORE_QUERY_URL``, ``KG_STORE_UPDATE_URL``, ``KG_STORE_GSP_URL`` override any of them.

Credentials come only from ``KG_STORE_USER`` and ``KG_STORE_PASSWORD`` (never from the URL, so they stay out of
shell history, process lists and logs); ``KG_STORE_AUTH`` is ``basic`` or ``digest`` (default: digest for
Virtuoso, basic otherwise).  Failed requests (connection refused, timeouts, 429 and 5xx answers) are retried
``KG_STORE_RETRIES`` times (default 4) with exponential back-off from ``KG_STORE_BACKOFF`` seconds (default 0.5).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.store.base import GraphStore, Quad, QueryError, QueryResult, StoreError, Triple
from kg.store.oxigraph_store import take
from kg.store.sparql_guard import check_query, check_update, strip_literals
from kg.store.terms import from_ox

_QUERY_FORM = re.compile(r"(?<![:\w?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
# Graphs a Virtuoso installation keeps for itself; they are not part of a kg graph.
SYSTEM_GRAPH_PREFIXES = ("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp", "urn:activitystreams-owl",
                         "urn:core:services:", "http://www.w3.org/2002/07/owl", "virtrdf:", "http://localhost:8890/",
                         "b3s", "urn:virtuoso", "http://open.vocab.org/")


def _nt(term: Node) -> str:
    from kg.export.writer import nt_term  # the strict escaping shared with export

    return nt_term(term)


class RemoteStore(GraphStore):
    def __init__(self, url: str, *, timeout: float = 60.0, session: requests.Session | None = None) -> None:
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise StoreError("put remote store credentials in KG_STORE_USER and KG_STORE_PASSWORD, not in the URL "
                             "(URLs end up in shell history and logs)")
        self.url = url.rstrip("/")
        path = parts.path.rstrip("/")
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        user, password = os.environ.get("KG_STORE_USER"), os.environ.get("KG_STORE_PASSWORD")
        self.virtuoso = path.endswith("/sparql") or path.endswith("/sparql-auth")
        if self.virtuoso:
            self.query_url = root + "/sparql"
            self.update_url = root + ("/sparql-auth" if user else "/sparql")
            self.gsp_url = root + ("/sparql-graph-crud-auth" if user else "/sparql-graph-crud")
        else:
            prefix = root + (path[: -len("/query")] if path.endswith("/query") else path)
            self.query_url, self.update_url, self.gsp_url = prefix + "/query", prefix + "/update", prefix + "/store"
        self.query_url = os.environ.get("KG_STORE_QUERY_URL", self.query_url)
        self.update_url = os.environ.get("KG_STORE_UPDATE_URL", self.update_url)
        self.gsp_url = os.environ.get("KG_STORE_GSP_URL", self.gsp_url)
        self.description = f"remote SPARQL store {self.url}"
        self.timeout = timeout
        self.retries = int(os.environ.get("KG_STORE_RETRIES", "4"))
        self.backoff = float(os.environ.get("KG_STORE_BACKOFF", "0.5"))
        self.session = session or requests.Session()
        if user:
            kind = os.environ.get("KG_STORE_AUTH", "digest" if self.virtuoso else "basic").lower()
            auth_class = requests.auth.HTTPDigestAuth if kind == "digest" else requests.auth.HTTPBasicAuth
            self.session.auth = auth_class(user, password or "")
        self.session.headers["User-Agent"] = "kg (https://w3id.org/kgnews)"

    # ------------------------------------------------------------------ HTTP with retries

    def _request(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        """One HTTP request, retried with exponential back-off on failures that may pass; errors name ``what``."""
        delay = self.backoff
        last = ""
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}: cannot reach {urlsplit(url).netloc}"
            else:
                if response.status_code < 400:
                    return response
                body = response.text[:300].strip().replace("\n", " ")
                last = f"HTTP {response.status_code} from {url}: {body}"
                if response.status_code not in RETRYABLE_STATUS:
                    if response.status_code == 400 and what.startswith("query"):
                        raise QueryError(f"the server refused the query: {body}")
                    if response.status_code in (401, 403):
                        last += " (check KG_STORE_USER / KG_STORE_PASSWORD)"
                    raise StoreError(f"{what} failed on {self.description}: {last}")
            if attempt < self.retries:
                time.sleep(delay)
                delay *= 2
        raise StoreError(f"{what} failed on {self.description} after {self.retries + 1} attempts: {last}")

    def _update(self, sparql: str, what: str) -> None:
        self._request("POST", self.update_url, what, data=sparql.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    # ------------------------------------------------------------------ writes

    def replace_graph(self, graph: str, triples: Iterable[Triple], metadata: Iterable[Triple] = ()) -> None:
        body = "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in [*triples, *metadata])
        # Graph Store PUT replaces the graph in one request (and one server transaction).
        self._request("PUT", self.gsp_url, f"writing graph {graph}", params={"graph": graph},
                      data=body.encode("utf-8"), headers={"Content-Type": "application/n-triples"})

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        body = "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in triples)
        # Graph Store POST merges into the graph.
        self._request("POST", self.gsp_url, f"adding to graph {graph}", params={"graph": graph},
                      data=body.encode("utf-8"), headers={"Content-Type": "application/n-triples"})

    def remove_graph(self, graph: str) -> None:
        self._update(f"DROP SILENT GRAPH <{graph}>", f"removing graph {graph}")

    # ------------------------------------------------------------------ reads

    def graphs(self) -> list[str]:
        # GRAPH ?g {} lists graphs without scanning their triples on Oxigraph; Virtuoso needs a triple pattern.
        pattern = "{ ?s ?p ?o }" if self.virtuoso else "{}"
        result = self._select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {pattern} }}", "listing graphs")
        names = {str(row["g"]) for row in result.rows if isinstance(row.get("g"), URIRef)}
        return sorted(n for n in names if not n.startswith(SYSTEM_GRAPH_PREFIXES))

    def graph_quads(self, graph: str) -> Iterator[Quad]:
        response = self._request("GET", self.gsp_url, f"reading graph {graph}", params={"graph": graph},
                                 headers={"Accept": "application/n-triples"})
        g = URIRef(graph)
        triples = [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
                   for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
        # Servers answer in their own order; sort (one graph at a time) so that exports are reproducible.
        triples.sort(key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))
        for s, p, o in triples:
            yield s, p, o, g

    def quads(self) -> Iterator[Quad]:
        for graph in self.graphs():
            yield from self.graph_quads(graph)

    def quads_for(self, subject: Node | None = None, predicate: Node | None = None, obj: Node | None = None,
                  graph: str | None = None) -> Iterator[Quad]:
        terms = {"s": subject, "p": predicate, "o": obj}
        pattern = " ".join(_nt(t) if t is not None else f"?{k}" for k, t in terms.items())
        g = f"<{graph}>" if graph is not None else "?g"
        names = [k for k, t in terms.items() if t is None] + ([] if graph is not None else ["g"])
        select = " ".join(f"?{n}" for n in names) or "*"
        result = self._select(f"SELECT {select} WHERE {{ GRAPH {g} {{ {pattern} }} }}", "pattern lookup")
        for row in result.rows:
            name = str(row["g"]) if graph is None else graph
            if graph is None and name.startswith(SYSTEM_GRAPH_PREFIXES):
                continue
            yield (subject if subject is not None else row["s"], predicate if predicate is not None else row["p"],
                   obj if obj is not None else row["o"], URIRef(name))

    def _select(self, sparql: str, what: str) -> QueryResult:
        return self._query(sparql, what)

    def query(self, sparql: str, *, limit: int | None = None, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> QueryResult:
        check_query(sparql)
        return self._query(sparql, "query", limit=limit, default_graphs=default_graphs, named_graphs=named_graphs)

    def update(self, sparql: str) -> None:
        """Forwarded to the server's update endpoint, after the same refusal of LOAD/SERVICE as everywhere."""
        check_update(sparql)
        self._update(sparql, "update")

    def _query(self, sparql: str, what: str, *, limit: int | None = None, default_graphs: Sequence[str] = (),
               named_graphs: Sequence[str] = ()) -> QueryResult:
        params: dict[str, Any] = {} if self.virtuoso else {"union-default-graph": ""}
        if default_graphs or named_graphs:  # the protocol's own dataset parameters, passed on as they are
            # Default graphs alone mean no named graphs (SPARQL 1.1 Protocol 2.1.4); Virtuoso would show them all,
            # so an empty named-graph set is asked for as one graph that does not exist.
            named = list(named_graphs) or ["urn:kg:graph:none"]
            params = {"default-graph-uri": list(default_graphs), "named-graph-uri": named}
        form = _QUERY_FORM.search(strip_literals(sparql))
        graph_query = form is not None and form.group(1).upper() in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8" if graph_query \
            else "application/sparql-results+json"
        response = self._request("POST", self.query_url, what, params=params, data={"query": sparql},
                                 headers={"Accept": accept})
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        if kind in ("application/sparql-results+json", "application/json"):
            return _parse_json_results(response.json(), limit)
        graph_format = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                        "text/turtle": ox.RdfFormat.TURTLE}.get(kind)
        if graph_format is None:
            raise StoreError(f"{what}: {self.description} answered with unexpected content type {kind!r}")
        found, truncated = take(ox.parse(response.content, format=graph_format), limit)
        triples = [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in found]
        return QueryResult(kind="graph", triples=triples, truncated=truncated)

    def __len__(self) -> int:
        result = self._select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                              + self._graph_filter() + " } }", "counting triples")
        return int(result.rows[0]["n"]) if result.rows else 0

    def _graph_filter(self) -> str:
        if not self.virtuoso:
            return ""
        tests = " && ".join(f'!STRSTARTS(STR(?g), "{p}")' for p in SYSTEM_GRAPH_PREFIXES)
        return f"FILTER ({tests})"


def _term(binding: dict[str, str]) -> Node:
    kind = binding["type"]
    if kind == "uri":
        return URIRef(binding["value"])
    if kind == "bnode":
        return BNode(binding["value"])
    lang = binding.get("xml:lang")
    if lang:
        return Literal(binding["value"], lang=lang)
    datatype = binding.get("datatype")
    if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
        return Literal(binding["value"], datatype=URIRef(datatype))
    return Literal(binding["value"])


def _parse_json_results(data: dict, limit: int | None) -> QueryResult:
    if "boolean" in data:
        return QueryResult(kind="ask", boolean=bool(data["boolean"]))
    names = list(data.get("head", {}).get("vars", []))
    rows: list[dict[str, Node]] = []
    truncated = False
    for binding in data.get("results", {}).get("bindings", []):
        if limit is not None and len(rows) >= limit:
            truncated = True
            break
        rows.append({name: _term(value) for name, value in binding.items()})
    return QueryResult(kind="select", vars=names, rows=rows, truncated=truncated)
