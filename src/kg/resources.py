"""Files that ship with kg: the ontology and the named queries.

They live at the top of the repository (``ontology/``, ``queries/``) where people edit them, and are installed as
the packages ``kg.ontology`` and ``kg.queries`` (see ``pyproject.toml``), so this works in a checkout and a wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable


def ontology_file(name: str = "kg.ttl") -> Traversable:
    return resources.files("kg.ontology") / name


def ontology_text(name: str = "kg.ttl") -> str:
    return ontology_file(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str


def named_queries() -> list[NamedQuery]:
    """Every ``queries/*.rq``, its description taken from the leading ``#`` comment lines."""
    out = []
    for entry in sorted(resources.files("kg.queries").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        comment = []
        for line in text.splitlines():
            if line.startswith("#"):
                comment.append(line.lstrip("#").strip())
            elif line.strip():
                break
        out.append(NamedQuery(entry.name[:-3], " ".join(c for c in comment if c), text))
    return out
