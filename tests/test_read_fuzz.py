"""Fuzzing every reader: random bytes, truncated multi-byte sequences, huge lines, deeply nested HTML.

The property is the issue's: no exception escapes, and every reader returns text (articles) plus warnings.  A batch
of real archives hits all of these; one of them must never stop it.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.document import Source
from kg.read import ReadOptions, ReadProblem, ReadWarning, decode_bytes, read_bytes
from kg.read.formats import JsonFields, Parsed, read_jsonl, read_sogou, read_text, sniff_format
from kg.read.html import read_html

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NEWS = "公安部治安局局长刘绍武介绍，这次销毁的非法枪支来源于三个方面。１０万余支非法枪支被集中销毁。"
NEWS_TRAD = "公安部治安局局長劉紹武介紹，這次銷毀的非法槍支來源於三個方面。１０萬餘支非法槍支被集中銷毀。"
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gbk", "gb18030", "big5"]
TAGS = ["<doc>", "</doc>", "<url>", "</url>", "<docno>", "</docno>", "<contenttitle>", "</contenttitle>",
        "<content>", "</content>", "<doclist>", "&amp;", "&", "<", ">", "<html>", "<body>", "<p>", "</p>",
        "<script>", "</script>", "<!--", "-->", "<meta charset=gbk>", "{", "}", '"text":', "\n", "\x00", "\ufeff"]

chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=40)
markup = st.lists(st.one_of(st.sampled_from(TAGS), chinese, st.text(max_size=20)), max_size=40).map("".join)


def check(parsed: Parsed) -> None:
    assert isinstance(parsed, Parsed)
    assert all(isinstance(a.text, str) and a.text.strip() for a in parsed.articles)
    assert all(isinstance(w, str) for w in parsed.warnings)
    assert parsed.articles or parsed.warnings  # nothing found is said, never silent


def check_items(items: list) -> None:
    assert items
    assert all(isinstance(i, Source | ReadProblem | ReadWarning) for i in items)
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert not problems or (len(problems) == 1 and not any(isinstance(i, Source) for i in items))


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_decode(data: bytes) -> None:
    decoded = decode_bytes(data)
    assert isinstance(decoded.text, str)
    assert all(0 <= offset < len(data) for offset in decoded.bad_offsets)
    assert decoded.bad_offsets == sorted(decoded.bad_offsets)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["", ".txt", ".html", ".jsonl", ".dat"]),
       st.sampled_from([None, "gbk", "utf-8", "big5", "utf-16"]), st.booleans(),
       st.sampled_from(["auto", "always"]))
def test_random_bytes_through_the_whole_file_reader(data: bytes, suffix: str, encoding: str | None, lines: bool,
                                                    simplify: str) -> None:
    check_items(read_bytes(data, f"fuzz{suffix}", lines=lines,
                           options=ReadOptions(encoding=encoding, simplify=simplify)))


@FUZZ
@given(st.sampled_from(ENCODINGS), st.integers(min_value=0, max_value=200), st.booleans())
def test_truncated_multibyte_sequences(encoding: str, cut: int, forced: bool) -> None:
    data = ((NEWS_TRAD if encoding == "big5" else NEWS) * 3).encode(encoding)
    data = data[: min(cut, len(data))]
    decoded = decode_bytes(data, encoding if forced else None)
    assert isinstance(decoded.text, str)
    if forced and data:
        # A cut can only damage the last character: everything before it comes back exactly.
        expected = data.decode(encoding, "ignore")
        assert decoded.text.rstrip("\ufffd") == expected.rstrip("\ufffd")[: len(decoded.text.rstrip("\ufffd"))]
        assert decoded.replaced <= 1
    check_items(read_bytes(data, "cut.txt", options=ReadOptions(encoding=encoding if forced else None)))


@FUZZ
@given(markup)
def test_sogou_reader_on_markup_soup(text: str) -> None:
    check(read_sogou(text))
    sniff_format(text)


json_values = st.one_of(chinese, st.integers(), st.none(), st.lists(chinese, max_size=3))
json_records = st.dictionaries(st.sampled_from(["text", "title", "date", "id", "url", "source", "x"]), json_values)
json_lines = st.lists(st.one_of(markup, json_records.map(lambda d: json.dumps(d, ensure_ascii=False))),
                      max_size=12).map("\n".join)
field_choices = st.sampled_from([JsonFields(), JsonFields(text="x", metadata=("*",)),
                                 JsonFields(date="text", id="title")])


@FUZZ
@given(json_lines, field_choices)
def test_jsonl_reader_on_mixed_lines(text: str, fields: JsonFields) -> None:
    check(read_jsonl(text, fields))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup)
def test_html_reader_on_markup_soup(text: str) -> None:
    check(read_html(text))


def test_plain_text_reader() -> None:
    check(read_text(""))
    check(read_text("\n\n  \n", lines=True))
    check(read_text(NEWS))


def test_huge_lines() -> None:
    line = NEWS * 20000  # 1 MB of text on one line, in every format's clothing
    for name, data in [
        ("huge.txt", line.encode("gbk")),
        ("huge.jsonl", json.dumps({"text": line}, ensure_ascii=False).encode("utf-8")),
        ("huge.dat", f"<doc><docno>1</docno><content>{line}</content></doc>".encode("gb18030")),
        ("huge.html", f"<html><body><p>{line}</p></body></html>".encode()),
    ]:
        items = read_bytes(data, name, lines=name.endswith(".txt"))
        docs = [i for i in items if isinstance(i, Source)]
        assert len(docs) == 1 and len(docs[0].text) >= len(line), name


def test_deeply_nested_html() -> None:
    for depth in (300, 5000, 50000):
        page = "<html><body>" + "<div>" * depth + NEWS + "</div>" * depth + "</body></html>"
        parsed = read_html(page)
        check(parsed)
        # Deeper than lxml holds (2048) or not, the text is found, and the reader says it took the plain path.
        assert "刘绍武" in parsed.articles[0].text and "levels deep" in parsed.warnings[0]
    unclosed = "<html><body>" + "<span><b><i>" * 20000 + NEWS
    assert "刘绍武" in read_html(unclosed).articles[0].text
