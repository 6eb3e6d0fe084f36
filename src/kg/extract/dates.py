"""Dates in Chinese news, resolved against the document's date.

A page dated December 2021 that says ``12月15日`` means 2021-12-15; ``今年4月`` means 2021-04.  Without a document
date the year is never guessed: the value stays a month-day (``--12-15``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULL = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_THIS_YEAR_MONTH = re.compile(r"(今年|去年|明年)\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])")


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # YYYY-MM-DD, YYYY-MM or --MM-DD


def _valid(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def find_dates(text: str, doc_date: str = "") -> list[DateMention]:
    year = int(doc_date[:4]) if re.match(r"\d{4}", doc_date or "") else None
    norm = text.translate(_CN_DIGITS)  # same length, so offsets hold
    out: list[DateMention] = []
    taken: set[int] = set()
    for m in _FULL.finditer(norm):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(mo, d):
            out.append(DateMention(m.start(), m.end(), text[m.start():m.end()], f"{y:04d}-{mo:02d}-{d:02d}"))
            taken.update(range(m.start(), m.end()))
    for m in _MONTH_DAY.finditer(norm):
        if m.start() in taken:
            continue
        mo, d = int(m.group(1)), int(m.group(2))
        if not _valid(mo, d):
            continue
        value = f"{year:04d}-{mo:02d}-{d:02d}" if year else f"--{mo:02d}-{d:02d}"
        out.append(DateMention(m.start(), m.end(), text[m.start():m.end()], value))
    for m in _THIS_YEAR_MONTH.finditer(norm):
        mo = int(m.group(2))
        if year and 1 <= mo <= 12:
            offset = {"今年": 0, "去年": -1, "明年": 1}[m.group(1)]
            out.append(DateMention(m.start(), m.end(), text[m.start():m.end()], f"{year + offset:04d}-{mo:02d}"))
    return sorted(out, key=lambda d: d.start)
