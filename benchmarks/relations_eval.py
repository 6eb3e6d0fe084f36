"""Relation extraction scored against a careful reader's list, and on DuIE 2.0 for the predicates we share.

Usage::

    .venv/bin/python benchmarks/relations_eval.py                 # seed page + Sogou fixtures + DuIE
    .venv/bin/python benchmarks/relations_eval.py --verbose       # also list misses and false positives
    .venv/bin/python benchmarks/relations_eval.py --skip-duie

Seed/Sogou: the reader's lists are ``tests/fixtures/*_relations.json`` ("required" for recall; "required" and
"acceptable" together decide whether an extracted relation is right).  Precision is over every extracted relation
except co-mentions.  DuIE: every sentence of ``../shared/data/duie2.0-subset`` is extracted with ``--lines``
semantics; our relations are mapped onto DuIE predicates (holdsPost role 董事长/校长 → 董事长/校长, founder → 创始人,
locatedIn role 总部 → 总部地点, alumniOf → 毕业院校, foundingDate → 成立日期) and counted right when the sentence's
gold list holds the same (subject, predicate, object) after normalisation.  Precision is computed over all sentences
(gold lists in DuIE are incomplete, so this understates it); recall over the gold triples of those predicates.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg.document import Document, Source  # noqa: E402
from kg.extract import Extractor  # noqa: E402
from kg.extract.dates import find_dates  # noqa: E402
from kg.read import read_sources  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
DUIE = ROOT.parent / "shared" / "data" / "duie2.0-subset" / "train_data_5000.json"
_STRIP = re.compile(r"[“”‘’\"'《》()（）·\s]")
WHEN = {"date", "startDate", "endDate"}
ROLE_MATTERS = {"holdsPost", "authorOf"}


def norm(name: str) -> str:
    return _STRIP.sub("", name)


def _family(predicate: str) -> str:
    return "when" if predicate in WHEN else predicate


def _value_key(value: Any) -> Any:
    if isinstance(value, dict):
        if "currency" in value:
            return ("money", float(value["amount"]), value["currency"])
        return ("quantity", float(value["amount"]), value.get("unit", ""))
    return str(value)


def document_facts(doc: Document) -> list[dict[str, Any]]:
    """Extracted relations as comparable facts: names (label and aliases) normalised, values as keys."""
    names = {e.id: {norm(e.label), *(norm(a) for a in e.aliases)} for e in doc.entities}
    label = {e.id: e.label for e in doc.entities}
    out = []
    for r in doc.relations:
        if r.predicate == "coMention":
            continue
        fact = {"doc": doc.doc, "p": r.predicate, "s": names.get(r.subject, set()), "s_label": label.get(r.subject),
                "role": r.extra.get("role", ""), "sentence": doc.text[r.evidence.start: r.evidence.end][:60]
                if r.evidence else ""}
        if r.object is not None:
            fact["o"] = names.get(r.object, set())
            fact["o_label"] = label.get(r.object)
        elif r.predicate not in {"authorOf", "quotedIn"}:
            fact["v"] = _value_key(r.value)
        out.append(fact)
    return out


def _gold_doc_suffix(gold: dict[str, Any]) -> str:
    return f"#a{gold['article']}" if "article" in gold else str(gold.get("doc", ""))


def matches(fact: dict[str, Any], gold: dict[str, Any]) -> bool:
    suffix = _gold_doc_suffix(gold)
    if suffix and not fact["doc"].endswith(suffix):
        return False
    if _family(fact["p"]) != _family(gold["p"]):
        return False
    if gold["p"] in ROLE_MATTERS and gold.get("role") and fact["role"] != gold["role"]:
        return False
    subjects = {norm(n) for n in gold["s"].split("|")}
    objects = {norm(n) for n in gold["o"].split("|")} if "o" in gold else set()
    if gold["p"] == "partner":  # symmetric
        return bool((fact["s"] & subjects and fact.get("o", set()) & objects)
                    or (fact["s"] & objects and fact.get("o", set()) & subjects))
    if not fact["s"] & subjects:
        return False
    if "o" in gold:
        return bool(fact.get("o", set()) & objects)
    if "v" in gold:
        return fact.get("v") == _value_key(gold["v"])
    return True


def score_fixture(path: Path, extractor: Extractor, verbose: bool = False) -> tuple[float, float, int, int]:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    source = ROOT / fixture["source"]
    docs = []
    for item in read_sources([str(source)], date=fixture.get("date", "")):
        if isinstance(item, Source):
            if fixture.get("docs") and not any(item.doc_id.endswith(d) for d in fixture["docs"]):
                continue
            docs.append(extractor(item))
    facts = [f for d in docs for f in document_facts(d)]
    required, acceptable = fixture["required"], fixture.get("acceptable", [])
    right = [f for f in facts if any(matches(f, g) for g in required + acceptable)]
    found = [g for g in required if any(matches(f, g) for f in facts)]
    precision = len(right) / len(facts) if facts else 0.0
    recall = len(found) / len(required) if required else 0.0
    print(f"{path.name}: {len(docs)} document(s), {len(facts)} relations extracted, {len(right)} right; "
          f"{len(found)}/{len(required)} of the reader's relations found")
    print(f"  precision {precision:.3f}  recall {recall:.3f}")
    by_pred = Counter(g["p"] for g in required)
    hit_pred = Counter(g["p"] for g in found)
    print("  recall by predicate: " + ", ".join(f"{p} {hit_pred[p]}/{n}" for p, n in sorted(by_pred.items())))
    if verbose:
        for g in required:
            if g not in found:
                print(f"  MISSED  {json.dumps(g, ensure_ascii=False)}")
        for f in facts:
            if f not in right:
                other = f.get("o_label") or f.get("v") or ""
                print(f"  WRONG   {f['doc'].rsplit('#', 1)[-1]} {f['s_label']} {f['p']} {other} "
                      f"[{f['role']}] «{f['sentence']}»")
    return precision, recall, len(facts), len(found)


# ---------------------------------------------------------------- DuIE

DUIE_MAP = {"董事长", "校长", "创始人", "总部地点", "毕业院校", "成立日期"}


def _duie_triples(doc: Document) -> set[tuple[str, str, str]]:
    label = {e.id: e.label for e in doc.entities}
    out = set()
    for r in doc.relations:
        if r.predicate == "holdsPost" and r.extra.get("role") in {"董事长", "校长"}:
            out.add((norm(label[r.object]), r.extra["role"], norm(label[r.subject])))
        elif r.predicate == "founder":
            out.add((norm(label[r.subject]), "创始人", norm(label[r.object])))
        elif r.predicate == "locatedIn" and r.extra.get("role") == "总部":
            out.add((norm(label[r.subject]), "总部地点", norm(label[r.object])))
        elif r.predicate == "alumniOf":
            out.add((norm(label[r.subject]), "毕业院校", norm(label[r.object])))
        elif r.predicate == "foundingDate":
            out.add((norm(label[r.subject]), "成立日期", str(r.value)))
    return out


def _gold_date(text: str) -> str:
    dates = find_dates(text, "")
    return dates[0].value if dates else text


def _overlaps(ours: tuple[str, str, str], gold: tuple[str, str, str]) -> bool:
    """Same predicate, and each name contains or is contained in the gold one (dates must be equal)."""
    if ours[1] != gold[1]:
        return False
    def close(a: str, b: str) -> bool:
        return bool(a and b) and (a in b or b in a)
    return close(ours[0], gold[0]) and (ours[2] == gold[2] if ours[1] == "成立日期" else close(ours[2], gold[2]))


def duie(extractor: Extractor, verbose: bool = False) -> tuple[float, float, int]:
    records = [json.loads(line) for line in DUIE.read_text(encoding="utf-8").splitlines() if line.strip()]
    predicted = correct = gold_total = gold_found = lenient = 0
    per = Counter()
    per_right = Counter()
    for n, rec in enumerate(records):
        gold = set()
        for spo in rec["spo_list"]:
            if spo["predicate"] not in DUIE_MAP:
                continue
            obj = spo["object"]["@value"]
            obj = _gold_date(obj) if spo["predicate"] == "成立日期" else norm(obj)
            gold.add((norm(spo["subject"]), spo["predicate"], obj))
        gold_total += len(gold)
        doc = extractor(Source(f"duie#L{n + 1}", rec["text"]))
        ours = _duie_triples(doc)
        predicted += len(ours)
        for t in ours:
            per[t[1]] += 1
            if any(_overlaps(t, g) for g in gold):
                lenient += 1
            if t in gold:
                correct += 1
                per_right[t[1]] += 1
            elif verbose:
                print(f"  DUIE WRONG {t} «{rec['text'][:80]}»")
        gold_found += len(ours & gold)
    precision = correct / predicted if predicted else 0.0
    recall = gold_found / gold_total if gold_total else 0.0
    print(f"DuIE 2.0 subset ({len(records)} sentences): {predicted} relations of the mapped predicates, "
          f"{correct} right; gold {gold_total}, found {gold_found}")
    print(f"  precision {precision:.3f}  recall {recall:.3f}  "
          f"(lenient precision {lenient / predicted if predicted else 0:.3f}: names may contain one another, "
          f"新东方 ~ 北京市新东方学校)")
    print("  by predicate: " + ", ".join(f"{p} {per_right[p]}/{per[p]}" for p in sorted(per)))
    return precision, recall, predicted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--skip-duie", action="store_true")
    args = parser.parse_args()
    extractor = Extractor()
    start = time.perf_counter()
    for path in sorted(FIXTURES.glob("*_relations.json")):
        score_fixture(path, extractor, verbose=args.verbose)
    if not args.skip_duie and DUIE.exists():
        duie(extractor, verbose=args.verbose)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
