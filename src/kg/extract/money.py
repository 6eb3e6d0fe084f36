"""Amounts of money and measured quantities in Chinese news (3500万元, 近1亿元, 约40公顷, 500多个).

Why a module of its own: 万/亿 multipliers, hedges (近, 约, 逾, 多, 余) and Chinese numerals make amounts easy to
misread, and both investment/funding relations and quantities need the same reading.  Money values are the dicts the
RDF stage turns into ``schema:MonetaryAmount`` nodes: ``{"amount": 35000000, "currency": "CNY", "approximate": True}``.
jionlp's ``parse_money`` reads the amount when it can (it knows Chinese numerals such as 三千五百万元); a small
reader of our own covers what it refuses and keeps the module usable if jionlp is missing.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿\d.]+)"
_MULT = r"(?:[十百千万亿]|千万|百万|十万)*"
_HEDGE_BEFORE = r"(?:近|约|逾|超过|超|达到?|共计?|累计|总计|合计|大约|将近|接近|不到|不少于|至少|多达|高达)?"
_CURRENCIES = {"元": "CNY", "人民币": "CNY", "块": "CNY", "美元": "USD", "欧元": "EUR", "港元": "HKD", "港币": "HKD",
               "日元": "JPY", "英镑": "GBP"}
_CURRENCY = "|".join(sorted(_CURRENCIES, key=len, reverse=True))
MONEY = re.compile(rf"({_HEDGE_BEFORE})({_NUM}{_MULT})(多|余)?({_CURRENCY})")
# Units of measure and counting words a reader cares about (length, area, volume, people, items).
UNITS = ("平方公里", "平方米", "立方米", "公顷", "公里", "千米", "米", "亩", "吨", "万人次", "人次", "户", "人", "名",
         "个", "项", "件", "所", "家", "次", "条", "处", "册", "篇", "部", "场", "辆", "座", "间", "张")
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
QUANTITY = re.compile(rf"({_HEDGE_BEFORE})({_NUM}{_MULT})(多|余)?({_UNIT})(多|余)?")
_APPROX_WORDS = ("近", "约", "逾", "超过", "超", "大约", "将近", "接近", "不到", "不少于", "至少", "多", "余")
_CN_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
_CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}


@dataclass(frozen=True)
class Amount:
    """An amount found in text: where, the text, the number and its unit or currency."""

    start: int
    end: int
    text: str
    amount: float
    unit: str
    currency: str = ""
    approximate: bool = False

    def value(self) -> dict[str, Any]:
        """The JSON value of a relation (design.md): money has a currency, a quantity a unit."""
        number: int | float = int(self.amount) if float(self.amount).is_integer() else round(self.amount, 4)
        out: dict[str, Any] = {"amount": number}
        if self.currency:
            out["currency"] = self.currency
        else:
            out["unit"] = self.unit
        if self.approximate:
            out["approximate"] = True
        return out


@cache
def _jionlp_parse_money() -> Any:
    """jionlp's money parser, imported once and quietly (its import prints a banner on stdout)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import jionlp
        return jionlp.parse_money
    except Exception:  # pragma: no cover - jionlp is a dependency, but amounts must not depend on it
        return None


def chinese_number(text: str) -> float | None:
    """A number written with digits, Chinese numerals or both, with 十/百/千/万/亿 multipliers (3500万 → 35000000)."""
    text = text.translate(_CN_DIGITS)
    if not text:
        return None
    total = 0.0
    section = 0.0
    current: float | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            try:
                current = float(text[i:j])
            except ValueError:
                return None
            i = j
            continue
        if ch in _CN_NUM:
            current = float(_CN_NUM[ch])
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if unit >= 10_000:
                section = (section + (current or 0.0)) * unit if (section or current) else unit
                total += section
                section = 0.0
            else:
                section += (current if current is not None else 1.0) * unit
            current = None
        else:
            return None
        i += 1
    return total + section + (current or 0.0)


def _money_value(number_text: str, currency_word: str) -> float | None:
    parse = _jionlp_parse_money()
    if parse is not None and currency_word == "元":
        try:
            return float(parse(number_text + "元")["num"])
        except Exception:
            pass
    return chinese_number(number_text)


def find_money(text: str) -> list[Amount]:
    """Every amount of money in ``text`` (offsets into it), largest unit reading first."""
    out = []
    for m in MONEY.finditer(text):
        hedge, number_text, after, currency_word = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        value = _money_value(number_text, currency_word)
        if value is None:
            continue
        out.append(Amount(m.start(), m.end(), m.group(), value, currency_word, _CURRENCIES[currency_word],
                          approximate=any(hedge.startswith(w) for w in _APPROX_WORDS if hedge) or bool(after)))
    return out


def find_quantities(text: str) -> list[Amount]:
    """Counts and measures (52公里, 约40公顷, 500多个) that are not money."""
    money_spans = [(a.start, a.end) for a in find_money(text)]
    out = []
    for m in QUANTITY.finditer(text):
        if any(s <= m.start() < e for s, e in money_spans):
            continue
        value = chinese_number(m.group(2))
        if value is None or not any(ch.isdigit() for ch in m.group(2).translate(_CN_DIGITS)):
            continue
        hedge = m.group(1)
        approx = bool(m.group(3) or m.group(5)) or (bool(hedge) and hedge.startswith(_APPROX_WORDS))
        out.append(Amount(m.start(), m.end(), m.group(), value, m.group(4), approximate=approx))
    return out


__all__ = ["Amount", "chinese_number", "find_money", "find_quantities"]
