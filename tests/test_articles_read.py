"""The read stage splits a page into articles (the hook lives in kg.read.files), but never ``--lines`` input."""

from __future__ import annotations

from pathlib import Path

from kg.document import Source
from kg.read import read_sources

SEED = Path(__file__).resolve().parents[1] / "seeds" / "zhuzhou-daily-2021-12.txt"


def test_read_sources_splits_pages_but_not_lines() -> None:
    docs = [s for s in read_sources([str(SEED)]) if isinstance(s, Source)]
    assert len(docs) == 6 and docs[0].doc_id.endswith("#a1")
    lines = [s for s in read_sources([str(SEED)], lines=True) if isinstance(s, Source)]
    assert all("#L" in s.doc_id for s in lines)
