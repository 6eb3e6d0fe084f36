"""One entity per real thing in a document: grouping mentions, declared abbreviations and anaphora.

Why here and not in RDF: the document is the unit a reader reasons about ("该区" means the district named just
before), and entities must be settled before relations point at them.  Across documents, entities merge in the store
because their IRIs come from type and canonical label.
"""

from __future__ import annotations

import re

from kg.document import Entity, Mention

_ABBREV = re.compile(r"[（(]\s*(?:以下|下文)?(?:简称|下称|称)\s*[“\"]?([^）)”\"\s，,]{1,12})[”\"]?\s*[）)]")
_ANAPHORA = re.compile(r"该(区|县|市|省|镇|乡|村|社区|街道|局|办|委|厅|中心|公司|集团|项目|工程|线路|活动|会)")
# Which antecedent each anaphor may point to: a label ending with the anaphor's head word, or of these types.
_ANAPHOR_TYPES = {"项目": ("Project",), "工程": ("Project",), "线路": ("Project",), "活动": ("Event",),
                  "会": ("Event", "Agency")}


def declared_aliases(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions for abbreviations declared as ``X（以下简称Y）``, linked to the X mention right before the bracket."""
    out = []
    for match in _ABBREV.finditer(text):
        before = [m for m in mentions if m.end <= match.start() and match.start() - m.end <= 1]
        if not before:
            continue
        target = before[-1]
        alias = match.group(1)
        start = match.start(1)
        out.append(Mention(start, start + len(alias), alias, target.type, entity=f"alias:{target.start}",
                           source="abbreviation"))
        # Later bare occurrences of the alias refer to the same entity.
        for later in re.finditer(re.escape(alias), text[match.end():]):
            s = match.end() + later.start()
            out.append(Mention(s, s + len(alias), alias, target.type, entity=f"alias:{target.start}",
                               source="abbreviation"))
    return out


_SAME_MARKS = str.maketrans({"‘": "“", "’": "”", "「": "“", "」": "”", "(": "（", ")": "）", "\"": "“"})
REPEAT_MIN_CHARS = 4


def repeated_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """Other occurrences of a name recognised once (‘童说炎帝’抖音大赛 inside a quotation after “童说炎帝”抖音大赛).

    Why: the recogniser sees one sentence at a time and may miss a name in a context it was not built for; a reader
    knows the name from elsewhere in the article.  Quote and bracket styles count as the same; a place the name
    already overlaps is left alone, so this only fills gaps.
    """
    norm = text.translate(_SAME_MARKS)  # same length: offsets hold
    occupied = bytearray(len(text) + 1)
    for m in mentions:
        occupied[m.start: m.end] = b"\1" * (m.end - m.start)
    out = []
    seen: set[str] = set()
    for m in sorted(mentions, key=lambda m: -(m.end - m.start)):
        if m.source in {"nested", "anaphora", "abbreviation"} or m.type == "Person" \
                or m.end - m.start < REPEAT_MIN_CHARS:
            continue
        name = norm[m.start: m.end]
        if name in seen:
            continue
        seen.add(name)
        for found in re.finditer(re.escape(name), norm):
            s, e = found.start(), found.end()
            if any(occupied[s:e]):
                continue
            out.append(Mention(s, e, text[s:e], m.type, entity=f"alias:{m.start}", source="repeat"))
            occupied[s:e] = b"\1" * (e - s)
    return out


def anaphora(text: str, mentions: list[Mention]) -> list[Mention]:
    """``该区``, ``该项目`` … resolved to the nearest preceding compatible mention."""
    out = []
    ordered = sorted(mentions, key=lambda m: m.start)
    for match in _ANAPHORA.finditer(text):
        head = match.group(1)
        types = _ANAPHOR_TYPES.get(head)
        antecedent = None
        for m in reversed(ordered):
            if m.end > match.start():
                continue
            if (types and m.type in types) or (not types and m.text.endswith(head)) or \
                    (head == "区" and m.text.endswith(("经开区", "高新区", "开发区"))):
                antecedent = m
                break
        if antecedent is not None and antecedent.type != "Person":
            out.append(Mention(match.start(), match.end(), match.group(), antecedent.type,
                               entity=f"alias:{antecedent.start}", source="anaphora"))
    return out


def build_entities(mentions: list[Mention]) -> list[Entity]:
    """Assign every mention an entity id; same type and text means same entity; aliases join their target."""
    entities: list[Entity] = []
    by_key: dict[tuple[str, str], Entity] = {}
    by_start: dict[int, Entity] = {}
    for mention in sorted((m for m in mentions if not m.entity.startswith("alias:")), key=lambda m: m.start):
        key = (mention.type, mention.text)
        entity = by_key.get(key)
        if entity is None:
            entity = Entity(id=f"e{len(entities) + 1}", type=mention.type, label=mention.text)
            entities.append(entity)
            by_key[key] = entity
        mention.entity = entity.id
        # an alias points at the whole name starting there, not at a nested prefix (湖南省 in 湖南省…办公室)
        if mention.start not in by_start or mention.source != "nested":
            by_start[mention.start] = entity
    for mention in mentions:
        if mention.entity.startswith("alias:"):
            entity = by_start.get(int(mention.entity.split(":", 1)[1]))
            if entity is None:
                continue
            mention.entity = entity.id
            if mention.text not in entity.aliases and mention.text != entity.label and mention.source != "anaphora":
                entity.aliases.append(mention.text)
    return entities
