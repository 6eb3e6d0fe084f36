"""Scoring extracted entities against a careful reader's list (test fixtures such as tests/fixtures/*.json).

Why a list and not span labels: what a reader expects of a news page is "these agencies, people, places … are in the
graph", whichever sentence names them.  An expected entity is found when an output entity of an acceptable type
has it as its label or one of its aliases.  An output entity counts as a name when it matches an expected entity or
an ``also_names`` entry; everything else is reported as not a name.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kg.document import Entity


@dataclass
class ListScore:
    expected: int
    found: int
    output: int
    not_names: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong_type: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def junk_rate(self) -> float:
        return len(self.not_names) / self.output if self.output else 0.0

    def report(self) -> str:
        return (f"found {self.found}/{self.expected} ({self.recall:.1%}); not names {len(self.not_names)}/"
                f"{self.output} ({self.junk_rate:.1%})\n  missed: {' '.join(self.missed)}\n"
                f"  wrong type: {' '.join(self.wrong_type)}\n  not names: {' '.join(self.not_names)}")


def load_list(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _norm(label: str) -> str:
    """Compare names as a reader would: full-width and half-width forms alike, spaces ignored."""
    return unicodedata.normalize("NFKC", label).replace(" ", "")


def score_entities(entities: list[Entity], reader_list: dict) -> ListScore:
    names: dict[str, set[str]] = {}
    for ent in entities:
        for label in [ent.label, *ent.aliases]:
            names.setdefault(_norm(label), set()).add(ent.type)
    expected = reader_list["entities"]
    score = ListScore(expected=len(expected), found=0, output=len(entities))
    known = {_norm(x) for x in reader_list.get("also_names", [])}
    for label, types in expected:
        types = {types} if isinstance(types, str) else set(types)
        key = _norm(label)
        known.add(key)
        if names.get(key, set()) & types:
            score.found += 1
        elif key in names:
            score.wrong_type.append(f"{label}:{'/'.join(sorted(names[key]))}")
        else:
            score.missed.append(label)
    for ent in entities:
        if not ({_norm(ent.label), *map(_norm, ent.aliases)} & known):
            score.not_names.append(ent.label)
    return score
