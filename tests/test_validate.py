"""SHACL validation (`kg validate`): the seed graph conforms, and each rule catches the fault it is written for.

The faulty graphs are written by hand here, each breaking one rule, on top of a real build of the seed page, so a
rule that silently never fires (a typo in a path, a target that matches nothing) fails its test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg.build import build
from kg.cli import main
from kg.rdf.namespaces import KG, PROV, SCHEMA
from kg.store import open_store
from kg.store.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
BASE = "http://localhost:8000/id/"
DOC = URIRef(BASE + "doc/test-bad")
BAD_GRAPH = BASE + "graph/test-bad"


def test_seed_graph_conforms(seed_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--store", str(seed_store)]) == 0
    err = capsys.readouterr().err
    assert "conforms: 0 violation(s)" in err


def _bad_store(extra: list[tuple]) -> object:
    """A memory store with the seed page built plus one hand-written document graph holding ``extra``."""
    store = open_store("memory:")
    build(store, [SEEDS])
    doc_triples = [(DOC, RDF.type, KG.Document), (DOC, KG.docId, Literal("test-bad")),
                   (DOC, KG.contentHash, Literal("0" * 64))]
    store.replace_graph(BAD_GRAPH, doc_triples + extra)
    return store


PERSON = URIRef(BASE + "person/测试人物")
AGENCY = URIRef(BASE + "agency/测试机构")


def _entity(node: URIRef, type_: URIRef, label: str) -> list[tuple]:
    return [(node, RDF.type, type_), (node, RDFS.label, Literal(label, lang="zh")), (node, KG.mentionedIn, DOC)]


def _statement(name: str, s: URIRef, p: URIRef, o: object) -> list[tuple]:
    st = URIRef(f"{DOC}/{name}")
    return [(st, RDF.type, RDF.Statement), (st, RDF.subject, s), (st, RDF.predicate, p), (st, RDF.object, o),
            (st, PROV.wasDerivedFrom, DOC)]


@pytest.fixture(scope="module")
def seed_violations() -> list:
    """Violations in a graph that breaks every rule once; built once because the seed build takes a second."""
    money = URIRef(f"{DOC}/r9/value")
    bad: list[tuple] = []
    bad += _entity(PERSON, KG.Person, "测试人物")
    bad.append((PERSON, RDF.type, KG.Agency))  # two of the five types
    bad += [(AGENCY, RDF.type, KG.Agency), (AGENCY, RDFS.label, Literal("测试机构", lang="en")),
            (AGENCY, KG.mentionedIn, DOC), (AGENCY, SKOS.altLabel, Literal("测试"))]  # label not @zh, alias untagged
    bad.append((AGENCY, KG.startDate, Literal("明年春天")))  # a string is not a date
    bad += _statement("r1", AGENCY, KG.startDate, Literal("明年春天"))
    bad.append((AGENCY, KG.date, Literal("2021-02-30", datatype=XSD.date)))  # an impossible date
    bad += _statement("r2", AGENCY, KG.date, Literal("2021-02-30", datatype=XSD.date))
    bad.append((PERSON, KG.holdsPost, AGENCY))  # a relation without provenance
    bad += [(AGENCY, KG.funding, money), (money, RDF.type, SCHEMA.MonetaryAmount),
            (money, SCHEMA.value, Literal("3500万", datatype=XSD.string))]  # no currency, amount not a decimal
    bad += _statement("r9", AGENCY, KG.funding, money)
    bad += _statement("r3", PERSON, KG.memberOf, AGENCY)  # a statement of a triple nobody asserts
    bad.append((AGENCY, KG.inventedProperty, Literal("x")))  # not in the ontology
    with _bad_store(bad) as store:
        report = validate(store)
    assert not report.conforms
    return report.violations


@pytest.mark.parametrize(("rule", "focus"), [
    ("one entity type", "测试人物"),
    ("one Chinese label", "测试机构"),
    ("aliases in Chinese", "测试机构"),
    ("date", "测试机构"),
    ("amount", "r9/value"),
    ("currency", "r9/value"),
    ("relation provenance", "测试人物"),
    ("statement asserted", "r3"),
    ("declared property", "测试机构"),
])
def test_each_rule_fires(seed_violations: list, rule: str, focus: str) -> None:
    hits = [v for v in seed_violations if v.rule == rule and focus in v.focus]
    assert hits, f"rule {rule!r} did not fire on {focus}: {[str(v) for v in seed_violations]}"
    # Every violation names the document that holds the faulty node, so the user knows what to rebuild or remove.
    assert all(v.documents == ("test-bad",) for v in hits if v.rule != "declared property"), hits


def test_bad_dates_are_both_reported(seed_violations: list) -> None:
    dates = [str(v) for v in seed_violations if v.rule == "date"]
    assert any("明年春天" in d for d in dates) and any("2021-02-30" in d for d in dates), dates


def test_seed_part_of_bad_store_stays_clean(seed_violations: list) -> None:
    """Only the hand-written document is at fault: nothing from the real seed build is reported."""
    assert all("zhuzhou" not in str(v) for v in seed_violations), [str(v) for v in seed_violations]


def test_cli_exits_non_zero_and_prints_readably(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "store"
    with open_store(str(path)) as store:
        triples = [(DOC, RDF.type, KG.Document), (DOC, KG.docId, Literal("test-bad")),
                   (DOC, KG.contentHash, Literal("0" * 64)), *_entity(PERSON, KG.Person, "测试人物"),
                   (PERSON, KG.date, Literal("某天", lang="zh")),
                   *_statement("r1", PERSON, KG.date, Literal("某天", lang="zh"))]
        store.replace_graph(BAD_GRAPH, triples)
    assert main(["validate", "--store", str(path)]) == 1
    captured = capsys.readouterr()
    line = next(line for line in captured.out.splitlines() if "某天" in line)
    assert line.startswith("Violation: date: <http://localhost:8000/id/person/测试人物>")
    assert "xsd:date" in line and "[in test-bad]" in line
    assert "does NOT conform: 1 violation(s)" in captured.err


@pytest.mark.slow
def test_batches_find_what_one_pass_finds(seed_store: Path, seed_violations: list) -> None:
    """A big store is validated in batches of whole graphs; forced on small stores, the findings are the same."""
    with open_store(str(seed_store), read_only=True) as store:
        batched = validate(store, batch_quads=2500)
        assert batched.conforms and not batched.violations
    money = URIRef(f"{DOC}/r9/value")
    bad = [*_entity(PERSON, KG.Person, "测试人物"), (PERSON, RDF.type, KG.Agency), (PERSON, KG.holdsPost, AGENCY),
           *_entity(AGENCY, KG.Agency, "测试机构"), (AGENCY, KG.funding, money),
           (money, RDF.type, SCHEMA.MonetaryAmount), *_statement("r9", AGENCY, KG.funding, money)]
    with _bad_store(bad) as store:
        # A cross-document count: another graph (sorted first, so in another batch) gives a second label.
        store.replace_graph(BASE + "graph/aaa-other", [(PERSON, RDFS.label, Literal("另一个名字", lang="zh"))])
        one_pass = {(v.rule, v.focus, v.path, v.value) for v in validate(store).violations}
        batched = {(v.rule, v.focus, v.path, v.value) for v in validate(store, batch_quads=2500).violations}
    assert ("one Chinese label", "<http://localhost:8000/id/person/测试人物>", "rdfs:label", "") in one_pass
    assert batched == one_pass
