"""Unit tests of the foundation's small pieces on real Chinese sentences."""

from __future__ import annotations

import json

import pytest

from kg.document import Source
from kg.extract import Extractor
from kg.extract.dates import find_dates
from kg.extract.sentences import bounded_runs, split_sentences
from kg.rdf.iris import entity_iri
from kg.store import QueryError, open_store
from kg.store.results import serialize
from kg.store.sparql_guard import check_query


def test_sentences_keep_quotes_and_offsets() -> None:
    text = "他说：“我们来了。”随后离开！\n今年4月，长沙市印发《方案（试行）》。没有句号"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "他说：“我们来了。”随后离开！", "今年4月，长沙市印发《方案（试行）》。", "没有句号"]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_long_unpunctuated_line_splits_into_bounded_pieces() -> None:
    text = "株洲" * 50_000
    sentences = split_sentences(text)
    assert max(s.end - s.start for s in sentences) <= 500
    assert "".join(s.text for s in sentences) == text


@pytest.mark.parametrize(("text", "doc_date", "value"), [
    ("12月15日，株洲经开区颁出首张证件。", "2021-12-16", "2021-12-15"),
    ("12月15日，株洲经开区颁出首张证件。", "", "--12-15"),
    ("２０１９年３月５日开幕", "", "2019-03-05"),
    ("今年4月，该区印发方案。", "2021-12-16", "2021-04"),
])
def test_dates_resolve_against_document_date(text: str, doc_date: str, value: str) -> None:
    assert [d.value for d in find_dates(text, doc_date)] == [value]


def test_dates_never_invent_impossible_days() -> None:
    assert find_dates("13月40日", "2021-01-01") == []


def test_extractor_finds_compound_names_aliases_and_posts() -> None:
    text = ("长沙市岳麓区人民政府办公室（以下简称区政府办）近日召开座谈会。区政府办党组书记、主任王建国表示，"
            "该区将加快推进岳麓山大学科技城项目建设。")
    doc = Extractor()(Source("t.txt", text, date="2023-05-10"))
    by_label = {e.label: e for e in doc.entities}
    office = by_label["长沙市岳麓区人民政府办公室"]
    assert office.type == "Agency" and "区政府办" in office.aliases
    assert by_label["王建国"].type == "Person"
    posts = [(r.subject, r.extra["role"], r.object) for r in doc.relations if r.predicate == "holdsPost"]
    person = by_label["王建国"].id
    assert (person, "主任", office.id) in posts and (person, "党组书记", office.id) in posts
    for m in doc.mentions:
        assert text[m.start:m.end] == m.text
    json.dumps(doc.to_json(), ensure_ascii=False)


@pytest.mark.parametrize("text", ["", "   ", "hello world", "\x00\x07控制字符\x1b", "“未闭合的引号（括号", "壹" * 3000])
def test_extractor_survives_odd_text(text: str) -> None:
    doc = Extractor()(Source("odd.txt", text))
    for m in doc.mentions:
        assert 0 <= m.start < m.end <= len(text) and text[m.start:m.end] == m.text


def test_entity_iris_are_readable_and_safe() -> None:
    assert entity_iri("http://localhost:8000/id/", "Agency", "株洲经开区") == "http://localhost:8000/id/agency/株洲经开区"
    iri = entity_iri("http://x/id", "Event", '“童说炎帝” <大赛>#1')
    assert " " not in iri and "<" not in iri and "#" not in iri and "“童说炎帝”" in iri


@pytest.mark.parametrize(("query", "fragment"), [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
    ("SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }", "FROM"),
    ("LOAD <http://example.org/data.ttl>", "update"),
    ("ASK { FILTER(" + "(" * 5000 + "1 = 1" + ")" * 5000 + ") }", "nests deeper"),
])
def test_guard_refuses_dangerous_queries(query: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        check_query(query)


def test_guard_ignores_keywords_inside_strings() -> None:
    check_query('SELECT ?s WHERE { ?s ?p "SERVICE FROM LOAD (((" }')


@pytest.mark.parametrize("spec", ["memory:", "rdflib:"])
def test_backends_agree_on_results(spec: str) -> None:
    from kg.rdf.convert import DocumentConverter

    doc = Extractor()(Source("a.txt", "湖南省教育厅厅长李明出席会议。", date="2022-01-01"))
    store = open_store(spec)
    converter = DocumentConverter("http://localhost:8000/id/")
    store.replace_graph(converter.graph(doc), converter.triples(doc))
    result = store.query("SELECT ?l WHERE { ?e a <https://w3id.org/kgnews/ontology#Person> ; "
                         "<http://www.w3.org/2000/01/rdf-schema#label> ?l }")
    assert [str(r["l"]) for r in result.rows] == ["李明"]
    assert json.loads(serialize(result, "json"))["results"]["bindings"][0]["l"] == {
        "type": "literal", "value": "李明", "xml:lang": "zh"}
    assert serialize(result, "csv") == "l\r\n李明\r\n"
    assert serialize(result, "tsv") == '?l\n"李明"@zh\n'
    before = len(store)
    store.replace_graph(converter.graph(doc), converter.triples(doc))
    assert len(store) == before
    with pytest.raises(QueryError):
        store.query("SELECT ?x WHERE {")


def test_bounded_runs_keep_order_never_empty_and_bounded() -> None:
    """The batching of sentences (pipeline) and of tagger chunks: runs in order, each within the limit unless one
    item alone exceeds it."""
    sentences = split_sentences("株洲市召开座谈会。" * 30 + "长" * 120 + "。李四出席。")
    runs = bounded_runs(sentences, lambda s: len(s.text), 50)
    assert [s for run in runs for s in run] == sentences and all(runs)
    assert all(sum(len(s.text) for s in run) <= 50 or len(run) == 1 for run in runs)
    assert any(len(run) == 1 and len(run[0].text) > 50 for run in runs)
    assert bounded_runs([], len, 10) == []
