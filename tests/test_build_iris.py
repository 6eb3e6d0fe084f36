"""Two different people with one name are not merged blindly; the same person named in two documents still is.

The news sentences are written for this test: a provincial department head 李波 and a city education bureau head
李波 are two people; a later article about the bureau's 李波 joins the second, never the first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from kg.build import build
from kg.document import Document, Entity, Relation, Span
from kg.extract import Extractor
from kg.rdf.iris import entity_iri, mint_entity_iris, resolver_qualifies
from kg.rdf.namespaces import KG
from kg.store import open_store

BASE = "http://localhost:8000/id/"
PROVINCE = ("12月15日，湖南省交通运输厅党组书记、厅长李波在长沙主持召开全省交通工作会议。"
            "李波强调，要加快推进重点项目建设。\n")
CITY = "12月16日，株洲市教育局局长李波在全市教育工作会议上讲话。李波表示，要继续深化教学改革。\n"
CITY_AGAIN = "12月20日，株洲市教育局局长李波到芦淞区调研校园安全工作。\n"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _people(store) -> dict[str, set[str]]:
    """Person IRI -> the doc ids naming it."""
    rows = store.query(f"SELECT ?p ?id WHERE {{ ?p a <{KG.Person}> ; <{KG.mentionedIn}> ?d . "
                       f"?d <{KG.docId}> ?id }}").rows
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(str(row["p"]), set()).add(str(row["id"]))
    return out


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_two_people_one_name_are_two_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           extractor: Extractor) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = _write(tmp_path, "a.txt", PROVINCE), _write(tmp_path, "b.txt", CITY)
    store = open_store("memory:")
    build(store, [a, b], extractor=extractor)
    plain, city = BASE + "person/李波", BASE + "person/李波(株洲市教育局)"
    assert _people(store) == {plain: {"a.txt"}, city: {"b.txt"}}
    # Both keep the name as their label, and each holds only its own post.
    for node, agency in ((plain, "湖南省交通运输厅"), (city, "株洲市教育局")):
        rows = store.query(f"SELECT ?l ?a WHERE {{ <{node}> <http://www.w3.org/2000/01/rdf-schema#label> ?l ; "
                           f"<{KG.holdsPost}> ?a }}").rows
        assert {(str(r["l"]), str(r["a"])) for r in rows} == {("李波", BASE + "agency/" + agency)}

    # A third article about the bureau's 李波 joins the bureau's node, not the department head's.
    c = _write(tmp_path, "c.txt", CITY_AGAIN)
    build(store, [c], extractor=extractor)
    assert _people(store)[city] == {"b.txt", "c.txt"}
    assert _people(store)[plain] == {"a.txt"}

    # Rebuilding a changed document keeps the IRIs: a document never collides with its own old version.
    _write(tmp_path, "b.txt", CITY + "会议由株洲市教育局主办。\n")
    report = build(store, [a, b, c], extractor=extractor)
    assert report.built == ["b.txt"]
    assert set(_people(store)) == {plain, city}

    # The same input in the same order gives the same IRIs in another store (on any machine).
    other = open_store("rdflib:")
    build(other, [a, b, c], extractor=extractor)
    assert _people(other) == _people(store)


def test_one_person_without_affiliation_joins_the_plain_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            extractor: Extractor) -> None:
    """A name with nothing to tell it apart cannot be split: it merges (the documented limit of the rule)."""
    monkeypatch.chdir(tmp_path)
    a = _write(tmp_path, "a.txt", PROVINCE)
    b = _write(tmp_path, "b.txt", "12月18日，李波在长沙会见了来访的客人。\n")
    store = open_store("memory:")
    build(store, [a, b], extractor=extractor)
    assert _people(store) == {BASE + "person/李波": {"a.txt", "b.txt"}}


def test_same_name_twice_in_one_document_never_shares_an_iri() -> None:
    doc = Document(doc="x", text="", entities=[
        Entity("e1", "Person", "李波"), Entity("e2", "Person", "李波"), Entity("e3", "Person", "李波"),
        Entity("e4", "Agency", "株洲市教育局")],
        relations=[Relation("e2", "holdsPost", object="e4", evidence=Span(5, 9))])
    iris = mint_entity_iris(BASE, doc)
    assert iris == {"e1": BASE + "person/李波", "e2": BASE + "person/李波(株洲市教育局)",
                    "e3": BASE + "person/李波(2)", "e4": BASE + "agency/株洲市教育局"}
    assert URIRef(iris["e2"]) == URIRef(entity_iri(BASE, "Person", "李波(株洲市教育局)"))


def test_resolver_qualifies_exactly_when_the_resolver_changes_an_iri(extractor: Extractor) -> None:
    """The parallel writer's shortcut (ask only about affiliated people) must agree with minting again: checked on the
    three articles against stores that know nobody, the same person, and someone else of the same name."""
    from kg.document import Source

    docs = [extractor(Source(doc_id=name, text=text)) for name, text in
            (("a.txt", PROVINCE), ("b.txt", CITY), ("c.txt", CITY_AGAIN))]
    plain = BASE + "person/李波"
    answers = {"nobody": {}, "same bureau": {plain: {"株洲市教育局"}}, "no affiliation known": {plain: set()},
               "someone else": {plain: {"湖南省交通运输厅"}}}
    seen = set()
    for doc in docs:
        assert any(e.type == "Person" and e.label == "李波" for e in doc.entities)
        for name, answer in answers.items():
            def resolver(type_name: str, label: str, graph: str, answer=answer) -> dict[str, set[str]]:
                return {iri: set(a) for iri, a in answer.items()} if (type_name, label) == ("Person", "李波") else {}

            changed = mint_entity_iris(BASE, doc, resolver) != mint_entity_iris(BASE, doc)
            assert resolver_qualifies(BASE, doc, resolver) == changed, (doc.doc, name)
            seen.add(changed)
    assert seen == {True, False}  # both outcomes were exercised
