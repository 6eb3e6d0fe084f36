"""Relations in the graph built from the seed page: the named queries answer, every answer traces to its sentence,
and document-level relations (authorOf, quotedIn) point at the article's document node."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = """PREFIX kg: <https://w3id.org/kgnews/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


def _rows(store_dir: Path, query: str) -> list[dict[str, str]]:
    store = open_store(str(store_dir))
    try:
        result = store.query(query if query.lstrip().startswith("PREFIX") else PREFIXES + query)
        return [{k: str(v) for k, v in row.items() if v is not None} for row in result.rows]
    finally:
        close = getattr(store, "close", None)
        if close:
            close()


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Path:
    return seed_store


def test_who_holds_which_post_where(store: Path) -> None:
    rows = _rows(store, (ROOT / "queries" / "people-posts.rq").read_text(encoding="utf-8"))
    found = {(r["person"], r["post"], r["agency"]) for r in rows}
    assert ("黄勇", "主任", "湖南省炎帝陵基金会办公室") in found
    assert ("黄勇", "党组书记", "湖南省炎帝陵基金会办公室") in found
    assert all("sentence" in r for r in rows if r["person"] == "黄勇")


def test_which_projects_cost_how_much(store: Path) -> None:
    rows = _rows(store, (ROOT / "queries" / "project-money.rq").read_text(encoding="utf-8"))
    amounts = {(r["kind"], float(r["amount"])) for r in rows}
    assert ("funding", 35000000.0) in amounts
    assert ("investment", 100000000.0) in amounts
    assert any("3500万元" in r.get("sentence", "") for r in rows)


def test_authors_point_at_their_article(store: Path) -> None:
    rows = _rows(store, """
        SELECT ?name ?role ?headline WHERE {
          ?st rdf:subject ?p ; rdf:predicate kg:authorOf ; rdf:object ?d ; kg:role ?role .
          ?p rdfs:label ?name . ?d schema:headline ?headline .
        }""")
    found = {(r["name"], r["role"], r["headline"]) for r in rows}
    assert ("李逸峰", "记者", "株洲万达广场将于23日开业") in found
    assert ("张鹏", "作者", "农村生活垃圾分类学习交流") in found
    assert ("葛炎", "通讯员", "鼓足干劲向前进——湖南省炎帝陵基金会办公室2021年工作见闻") in found


def test_what_did_the_agency_organise(store: Path) -> None:
    rows = _rows(store, """
        SELECT ?what ?sentence WHERE {
          ?a rdfs:label "湖南省炎帝陵基金会办公室"@zh .
          ?st rdf:subject ?e ; rdf:predicate kg:organizer ; rdf:object ?a ; kg:evidence/kg:text ?sentence .
          ?e rdfs:label ?what .
        }""")
    assert any("炎帝文化传承教育活动" in r["what"] for r in rows)
    assert all(r["sentence"] for r in rows)


def test_what_happened_when(store: Path) -> None:
    rows = _rows(store, (ROOT / "queries" / "events-by-date.rq").read_text(encoding="utf-8"))
    dated = {(r["name"], r["date"]) for r in rows}
    assert ("“民生100”工程工作调度会", "2021-12-07") in dated
    assert any(date == "2021-10-08" and "CZ1路" in name for name, date in dated)


def test_every_relation_traces_to_document_sentence_offsets_component_and_confidence(store: Path) -> None:
    rows = _rows(store, """
        SELECT ?p ?doc ?sentence ?start ?end ?component ?confidence WHERE {
          ?st rdf:subject ?s ; rdf:predicate ?p ; prov:wasDerivedFrom ?d ; kg:start ?start ; kg:end ?end ;
              kg:evidence/kg:text ?sentence ; kg:source ?component ; kg:confidence ?confidence .
          ?d kg:docId ?doc .
          FILTER(?p = kg:holdsPost)
        }""")
    assert rows and all(r["doc"].endswith("#a6") for r in rows)
    assert {"黄勇", "鲁晓波"} <= {name for r in rows for name in ("黄勇", "鲁晓波") if name in r["sentence"]}
    assert all(0 < float(r["confidence"]) <= 1 and r["component"] for r in rows)
