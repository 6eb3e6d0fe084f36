"""End to end on the seed page: build, serve over real HTTP, export, draw, rebuild."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import pytest
import rdflib

from kg.store import open_store
from tests.conftest import SEEDS, Server, run_kg

KG = "https://w3id.org/kgnews/ontology#"


def sparql_json(server: Server, query: str) -> dict:
    status, headers, body = server.get("/sparql?" + urllib.parse.urlencode({"query": query}),
                                       {"Accept": "application/sparql-results+json"})
    assert status == 200, body.decode()
    assert headers["Content-Type"].startswith("application/sparql-results+json")
    return json.loads(body)


@pytest.mark.slow
@pytest.mark.parametrize(("label", "type_name"), [("株洲经开区", "Agency"), ("黄勇", "Person")])
def test_served_graph_types_seed_entities(seed_server: Server, label: str, type_name: str) -> None:
    data = sparql_json(seed_server, f"""
        SELECT ?type WHERE {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> "{label}"@zh ; a ?type }}""")
    types = {b["type"]["value"] for b in data["results"]["bindings"]}
    assert KG + type_name in types


@pytest.mark.slow
def test_served_post_relation_has_evidence(seed_server: Server) -> None:
    query = (Path(__file__).parent.parent / "queries" / "people-posts.rq").read_text(encoding="utf-8")
    rows = sparql_json(seed_server, query)["results"]["bindings"]
    facts = {(r["person"]["value"], r["post"]["value"], r["agency"]["value"]) for r in rows}
    assert ("黄勇", "主任", "湖南省炎帝陵基金会办公室") in facts
    sentence = next(r["sentence"]["value"] for r in rows if r["person"]["value"] == "黄勇")
    assert "黄勇表示" in sentence


@pytest.mark.slow
def test_malformed_query_over_http_is_400_with_position(seed_server: Server) -> None:
    status, headers, body = seed_server.get("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE {"}))
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert "syntax" in body.decode().lower()


def test_export_parses_and_matches_store(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.ttl"
    assert run_kg("export", "--store", seed_store, "-o", out) == 0
    graph = rdflib.Graph().parse(out, format="turtle")
    with open_store(str(seed_store), read_only=True) as store:
        assert len(graph) == len(store) > 1000


def test_viz_is_self_contained_and_names_entities(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    assert run_kg("viz", "--store", seed_store, "-o", out, "--max-nodes", "500") == 0
    page = out.read_text(encoding="utf-8")
    assert "株洲经开区" in page and "黄勇" in page
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page)
    assert "vis.Network" in page


def test_rebuild_changes_nothing(seed_store_copy: Path) -> None:
    def snapshot() -> tuple[int, set[str]]:
        with open_store(str(seed_store_copy), read_only=True) as store:
            rows = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }").rows
            return len(store), {str(r["s"]) for r in rows}

    before = snapshot()
    assert run_kg("build", "--store", seed_store_copy, "--date", "2021-12-16", "-q", SEEDS) == 0
    assert snapshot() == before
    # Forcing a rebuild re-extracts but must produce the same graph (deterministic IRIs and triples), bar the time.
    assert run_kg("build", "--store", seed_store_copy, "--date", "2021-12-16", "--force", "-q", SEEDS) == 0
    assert snapshot() == before
