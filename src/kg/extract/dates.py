"""Dates in Chinese news, resolved against the document's date.

A page dated December 2021 that says ``12月15日`` means 2021-12-15; ``今年4月`` and ``9月`` mean 2021-04 and
2021-09; a headline's ``23日`` means 2021-12-23; on a page of 2012-07-06 ``昨日`` means 2012-07-05.  Without a
document date the year is never guessed: the value stays a month-day (``--12-15``) and a bare month or day is dropped.
The document date may itself be partial (``2021-12``, as read from a file name): day-level words then resolve to
that month, and relative days (昨日) need the full date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from kg.newsprint import date_from_name  # re-exported: the extractor's own name for it

_CN_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULL = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_YEAR_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:份|初|底|末|中旬|上旬|下旬)?(?!\s*\d{1,2}\s*[日号])")
_YEAR = re.compile(r"(?<![\d])((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)(?![代度])")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_THIS_YEAR_MONTH = re.compile(
    r"(今年|去年|明年)\s*(\d{1,2})\s*月(?:份|初|底|末|中旬|上旬|下旬)?(?!\s*\d{1,2}\s*[日号])")
# A month on its own (9月, 10月初, 11月底) after a clause boundary or a time preposition: not "3个月", not "12月15日".
_BARE_MONTH = re.compile(
    r"(?:(?<=^)|(?<=[，,。；;：:\s（(自从于在到至截止]))(\d{1,2})\s*月(?:份|初|底|末|中旬|上旬|下旬)?(?!\s*\d{1,2}\s*[日号])(?![\d个])")
# Days named relative to the publication date (昨日, 今天 …); 今年/明年 are handled with their month.
_RELATIVE_DAY = re.compile(r"(前天|昨天|昨日|今天|今日|明天|明日|后天)(?![\u4e00-\u9fff]{0,1}[年月])")
_DAY_OFFSET = {"前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
# A day on its own (将于23日开业) after a time preposition only: a bare "23日" is too often something else.
_BARE_DAY = re.compile(r"(?<=[于在至到])(\d{1,2})\s*[日号](?![\d])")


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # YYYY-MM-DD, YYYY-MM, YYYY or --MM-DD


def _valid(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def _doc_year_month(doc_date: str) -> tuple[int | None, int | None]:
    m = re.match(r"(\d{4})(?:-(\d{2}))?", doc_date or "")
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def find_dates(text: str, doc_date: str = "") -> list[DateMention]:
    """Every date expression in ``text`` with its value; longer expressions win over the parts they contain."""
    year, month = _doc_year_month(doc_date)
    norm = text.translate(_CN_DIGITS)  # same length, so offsets hold
    out: list[DateMention] = []
    taken = bytearray(len(norm) + 1)

    def add(m: re.Match[str], value: str) -> None:
        if any(taken[m.start(): m.end()]):
            return
        out.append(DateMention(m.start(), m.end(), text[m.start():m.end()], value))
        taken[m.start(): m.end()] = b"\1" * (m.end() - m.start())

    for m in _FULL.finditer(norm):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(mo, d):
            add(m, f"{y:04d}-{mo:02d}-{d:02d}")
    for m in _YEAR_MONTH.finditer(norm):
        y, mo = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            add(m, f"{y:04d}-{mo:02d}")
    for m in _MONTH_DAY.finditer(norm):
        mo, d = int(m.group(1)), int(m.group(2))
        if _valid(mo, d):
            add(m, f"{year:04d}-{mo:02d}-{d:02d}" if year else f"--{mo:02d}-{d:02d}")
    for m in _THIS_YEAR_MONTH.finditer(norm):
        mo = int(m.group(2))
        if year and 1 <= mo <= 12:
            offset = {"今年": 0, "去年": -1, "明年": 1}[m.group(1)]
            add(m, f"{year + offset:04d}-{mo:02d}")
    for m in _YEAR.finditer(norm):
        add(m, m.group(1))
    if year:
        for m in _BARE_MONTH.finditer(norm):
            mo = int(m.group(1))
            if 1 <= mo <= 12:
                add(m, f"{year:04d}-{mo:02d}")
        if month and re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc_date):
            base = date(year, month, int(doc_date[8:10]))
            for m in _RELATIVE_DAY.finditer(norm):
                add(m, (base + timedelta(days=_DAY_OFFSET[m.group(1)])).isoformat())
        if month:
            for m in _BARE_DAY.finditer(norm):
                d = int(m.group(1))
                if _valid(month, d):
                    add(m, f"{year:04d}-{month:02d}-{d:02d}")
    return sorted(out, key=lambda d: d.start)


__all__ = ["DateMention", "date_from_name", "find_dates"]
