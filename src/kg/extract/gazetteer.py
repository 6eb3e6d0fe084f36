"""Chinese administrative divisions and the world's countries and main cities, from the data jionlp ships.

Why a gazetteer: jieba tags many ordinary words as place names (ns) and misses others; a place that is a real
province, city, county or country is certain, and its parent in the hierarchy gives "part of" facts for free
(雨花区 part of 长沙市 part of 湖南省).  Loaded once per process (about 0.3 s) and only when first needed.
"""

from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Division:
    name: str  # the full name: 长沙市, 雨花区
    level: str  # province, city, county, country, foreign-city
    parent: str  # full name of the parent division ("" for provinces and countries)
    code: str = ""


@functools.cache
def divisions() -> dict[str, list[Division]]:
    """Every full name and alias → the divisions it may name (雨花区 exists in several cities)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp

        china = jionlp.china_location_loader()
        world = jionlp.world_location_loader()
    out: dict[str, list[Division]] = {}

    def add(name: str, division: Division) -> None:
        if name and len(name) >= 2:
            out.setdefault(name, [])
            if division not in out[name]:
                out[name].append(division)

    def aliases(node: dict) -> list[str]:
        alias = node.get("_alias", [])
        return [alias] if isinstance(alias, str) else list(alias)

    for prov in china.values():
        p = Division(prov["_full_name"], "province", "", prov.get("_admin_code", ""))
        add(p.name, p)
        for a in aliases(prov):
            add(a, p)
        for city_name, city in prov.items():
            if city_name.startswith("_"):
                continue
            c = Division(city["_full_name"], "city", p.name, city.get("_admin_code", ""))
            if c.name != p.name:  # municipalities repeat themselves as their own city
                add(c.name, c)
                for a in aliases(city):
                    add(a, c)
            for county_name, county in city.items():
                if county_name.startswith("_"):
                    continue
                k = Division(county["_full_name"], "county", c.name, county.get("_admin_code", ""))
                add(k.name, k)
    for continent in world.values():
        for country, info in continent.items():
            d = Division(country, "country", "")
            add(country, d)
            add(info.get("full_name", ""), d)
            for city in [info.get("capital", ""), *info.get("main_city", [])]:
                add(city, Division(city, "foreign-city" if country != "中国" else "city", country))
    return out


def lookup(name: str) -> list[Division]:
    return divisions().get(name, [])


def is_division(name: str) -> bool:
    return name in divisions()


@functools.cache
def _lengths() -> tuple[int, ...]:
    return tuple(sorted({len(n) for n in divisions()}, reverse=True))


def find_divisions(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, name) of every division named in ``text``, the longest name winning.

    A dictionary probe per position and name length: linear in the text, unlike a regex of 4,000 alternatives.
    """
    names = divisions()
    lengths = _lengths()
    out = []
    i, n = 0, len(text)
    while i < n:
        for length in lengths:
            if i + length <= n and text[i:i + length] in names:
                out.append((i, i + length, text[i:i + length]))
                i += length
                break
        else:
            i += 1
    return out


def parent_chain(name: str) -> list[str]:
    """Full names of the enclosing divisions when the name is unambiguous (雨花区 is not: it exists twice)."""
    found = lookup(name)
    if len(found) != 1:
        return []
    chain = []
    parent = found[0].parent
    while parent:
        chain.append(parent)
        up = [d for d in lookup(parent) if d.name == parent]
        parent = up[0].parent if len(up) == 1 else ""
    return chain
