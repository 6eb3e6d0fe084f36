"""Tests for the character CRF NER tagger (kg.extract.crf).

The sentences are written for these tests (not taken from any corpus split or
the seed page).  They pin down the public contract: (start, end, type) spans
with exclusive end and valid offsets into the *original* string, robustness to
odd input, and bounded chunking of long unpunctuated text.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

import itertools  # noqa: E402

from kg.extract.crf import CrfTagger, tags_to_spans  # noqa: E402
from kg.extract.crf.features import MAX_CHUNK, normalize, split_chunks  # noqa: E402

TYPES = {"Person", "Place", "Agency"}


@pytest.fixture(scope="module")
def tagger() -> CrfTagger:
    return CrfTagger.load()


def _check_valid(text: str, spans: list[tuple[int, int, str]]) -> None:
    for s, e, t in spans:
        assert isinstance(s, int) and isinstance(e, int)
        assert 0 <= s < e <= len(text)
        assert t in TYPES


def _found(text: str, spans: list[tuple[int, int, str]]) -> set[tuple[str, str]]:
    return {(text[s:e], t) for s, e, t in spans}


def test_person_and_agency_with_offsets(tagger: CrfTagger) -> None:
    text = "湖南省交通运输厅厅长王建国昨天在株洲主持召开了安全生产会议。"
    spans = tagger.tag(text)
    _check_valid(text, spans)
    assert (10, 13, "Person") in spans
    assert (0, 8, "Agency") in spans


def test_company_person_place(tagger: CrfTagger) -> None:
    text = "记者从中国工商银行获悉，该行行长陈晓明上周赴广州考察。"
    found = _found(text, tagger.tag(text))
    assert ("中国工商银行", "Agency") in found
    assert ("陈晓明", "Person") in found
    assert ("广州", "Place") in found


def test_places(tagger: CrfTagger) -> None:
    text = "她去年从成都搬到了杭州，在西湖边开了一家茶馆。"
    found = _found(text, tagger.tag(text))
    assert ("成都", "Place") in found
    assert ("杭州", "Place") in found


def test_fullwidth_offsets_point_into_original(tagger: CrfTagger) -> None:
    text = "ＡＢＣ１２３，王小明在上海市工作。"
    spans = tagger.tag(text)
    _check_valid(text, spans)
    assert any(text[s:e] == "王小明" and t == "Person" for s, e, t in spans)
    assert normalize(text).startswith("ABC123,")
    assert len(normalize(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n\t", "hello world 123", "\x00\x01\x1f\x7f", "😀李明😀", "\u200b\ufeff北京", "。。。！？",
     "a" * 1000, "\ud800北京\udfff", "１２３４５６７８９０" * 50, "\r\n" * 10],
)
def test_odd_input_does_not_crash(tagger: CrfTagger, text: str) -> None:
    spans = tagger.tag(text)
    assert isinstance(spans, list)
    _check_valid(text, spans)
    if not text.strip():
        assert spans == []


def test_empty_string(tagger: CrfTagger) -> None:
    assert tagger.tag("") == []


def test_long_line_without_punctuation(tagger: CrfTagger) -> None:
    unit = "张伟在北京大学工作"
    text = unit * 250  # 2,250 chars, no punctuation at all
    t0 = time.perf_counter()
    spans = tagger.tag(text)
    assert time.perf_counter() - t0 < 10
    _check_valid(text, spans)
    people = [text[s:e] for s, e, t in spans if t == "Person"]
    assert people.count("张伟") >= 200


def test_split_chunks_bounded_and_contiguous() -> None:
    text = "甲" * 450 + "，" + "乙" * 30 + "。丙"
    chunks = split_chunks(text)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(text)
    for (_, e1), (s2, _) in itertools.pairwise(chunks):
        assert e1 == s2
    assert all(0 < e - s <= MAX_CHUNK for s, e in chunks)


def test_tags_to_spans_lenient() -> None:
    assert tags_to_spans(["B-Person", "E-Person", "O", "S-Place"]) == [(0, 2, "Person"), (3, 4, "Place")]
    assert tags_to_spans(["I-Agency", "E-Agency"]) == [(0, 2, "Agency")]
    assert tags_to_spans(["B-Place", "I-Place"]) == [(0, 2, "Place")]
    assert tags_to_spans([]) == []


def test_load_is_cached_and_explicit_path(tagger: CrfTagger) -> None:
    assert CrfTagger.load() is tagger
    assert CrfTagger.load(tagger.path) is tagger
    with pytest.raises(FileNotFoundError):
        CrfTagger.load(tagger.path.with_name("missing.crfsuite"))


def test_news_style_merges_both_conventions(tagger: CrfTagger) -> None:
    text = "国家统计局发布的数据显示，美国总统上周访问了日本东京。"
    found = _found(text, tagger.tag(text))
    assert ("国家统计局", "Agency") in found
    assert ("美国", "Place") in found  # People's Daily convention: bare country mention is a Place
    assert _found(text, tagger.tag(text, style="pd")) >= {("美国", "Place")}


def test_unknown_style_rejected(tagger: CrfTagger) -> None:
    with pytest.raises(ValueError):
        tagger.tag("北京", style="msra")


def test_lexicon_feature_marks_whole_dictionary_names() -> None:
    from kg.extract.crf.features import lexicon_tags

    text = "他考入上海交通大学后去了巴黎"
    tags = lexicon_tags(text)
    start = text.index("上海交通大学")
    assert tags[start:start + 6] == ["B-nt", "M-nt", "M-nt", "M-nt", "M-nt", "E-nt"]
    assert tags[text.index("巴黎")].endswith("-ns")
    assert tags[0] == "" and len(tags) == len(text)


def test_shipped_clusters_group_like_characters() -> None:
    from kg.extract.crf import clusters

    chars, words = clusters.load()
    assert len(chars) > 3000 and len(words) > 10000
    # digits share a class, and so do the characters of transliterated foreign names
    assert len({chars[d][0] for d in "0123456789"}) <= 2
    coarse = [chars[c][0] for c in "斯尔克特"]
    assert max(coarse.count(c) for c in coarse) >= 3, coarse


def test_kmeans_is_seeded_and_ignores_zero_rows() -> None:
    import numpy as np

    from kg.extract.crf import clusters

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.1, (20, 4)), rng.normal(-1, 0.1, (20, 4)), np.zeros((3, 4))])
    x[:40] /= np.linalg.norm(x[:40], axis=1, keepdims=True)
    labels, centres = clusters.kmeans(x, 2)
    again, _ = clusters.kmeans(x, 2)
    assert (labels == again).all() and np.isfinite(centres).all()
    assert len(set(labels[:20])) == 1 and len(set(labels[20:40])) == 1 and labels[0] != labels[20]


def test_styled_features_match_add_style() -> None:
    from kg.extract.crf.features import add_style, sent2features

    for text in ("浙江杭州市西湖区人民政府位于文三路，张伟表示。", "ＶＩＰ车厢", "a"):
        base = sent2features(normalize(text), None)
        for style in ("cluener", "pd"):
            assert sent2features(normalize(text), style) == add_style(base, style)


def test_suffix_features_follow_the_lexicons() -> None:
    from kg.extract.crf.features import AGENCY_SUFFIXES, PLACE_SUFFIXES, sent2features

    text = "北京市人民政府办公厅与湖南省长沙县电视台"
    feats = sent2features(normalize(text))
    for i, row in enumerate(feats):
        for length in (1, 2, 3):
            tail = text[i - length + 1 : i + 1] if i + 1 >= length else ""
            assert (f"asuf{length}" in row) == (tail in AGENCY_SUFFIXES)
            assert (f"psuf{length}" in row) == (tail in PLACE_SUFFIXES)
    assert "asuf3" in feats[text.index("电视台") + 2] and "psuf1" in feats[text.index("县")]
