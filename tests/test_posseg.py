"""kg.extract.posseg: jieba's POS segmentation with a vectorised HMM gives exactly jieba's tokens and tags.

Compared with ``jieba.posseg.cut`` itself on real sentences (CLUENER2020 training text, People's Daily, SogouCS
articles, the seed page) and on awkward input, including words added to jieba at run time.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import jieba
import jieba.posseg
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from kg.document import Source  # noqa: E402
from kg.extract import posseg, tokens  # noqa: E402
from kg.read import read_sources  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _jieba(text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in jieba.posseg.cut(text)]


def _fast(text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in posseg.cut(text)]


def _real_sentences() -> list[str]:
    texts = [line for line in (ROOT / "seeds").glob("*") if line.is_file()]
    out = [t for path in texts for t in re.split(r"[。！？\n]", path.read_text(encoding="utf-8")) if t.strip()]
    cluener = DATA / "cluener2020" / "train.jsonl"
    if cluener.is_file():
        lines = cluener.read_text(encoding="utf-8").splitlines()
        out += [json.loads(line)["text"] for line in random.Random(5).sample(lines, 400)]
    sogou = sorted((DATA / "raw-news-sogou").glob("*.dat")) if DATA.is_dir() else []
    articles = [s.text for s in read_sources(sogou[:1]) if isinstance(s, Source)]
    out += [p for text in articles for p in re.split(r"[。！？\n]", text) if p.strip()][:400]
    return out


def test_same_tokens_and_tags_as_jieba_on_real_text() -> None:
    tokens.tokenize("")  # the project's user dictionary, as in the pipeline
    sentences = _real_sentences()
    assert len(sentences) > 100
    differ = [s for s in sentences if _jieba(s) != _fast(s)]
    assert not differ, differ[:3]
    # the text really exercised the HMM: unknown runs jieba had to segment with it
    hmm_runs = [run for s in sentences for run in re.findall(r"[\u4e00-\u9fff]{2,}", s)
                if not jieba.dt.FREQ.get(run)]
    assert len(hmm_runs) > 50


@pytest.mark.parametrize("text", [
    "", "abc 123", "２０２１年１２月１５日，ＡＢＣ公司", "這是繁體中文的新聞稿，臺灣省政府發布",
    "控制\x00字符\x07在这里",
    "“未配对的引号（括号", "的的的的的的的的的的", "张三李四王五赵六钱七孙八周九吴十郑十一", "鸟" * 300,
])
def test_same_as_jieba_on_awkward_input(text: str) -> None:
    assert _fast(text) == _jieba(text)


def test_words_added_to_jieba_apply_to_both() -> None:
    text = "据悉，犇羴鱻公司昨日在晶晶亮广场举行发布会"
    jieba.add_word("犇羴鱻公司", tag="nt")
    try:
        assert ("犇羴鱻公司", "nt") in _fast(text)
        assert _fast(text) == _jieba(text)
    finally:
        jieba.del_word("犇羴鱻公司")


def test_repeated_runs_reuse_the_same_path() -> None:
    text = "龚琳娜与覃婕妤在邕宁区会面"
    assert _fast(text) == _fast(text) == _jieba(text)


def test_jieba_posseg_itself_is_untouched() -> None:
    module = sys.modules["jieba.posseg.viterbi"]
    assert jieba.posseg.viterbi is module.viterbi  # the HMM jieba.posseg.cut runs is still jieba's own
    assert type(jieba.posseg.dt) is jieba.posseg.POSTokenizer
