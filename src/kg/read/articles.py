"""Splitting a newspaper page into its articles, each a Source with title, byline and column.

Why: a page (the seed page of 株洲日报) holds a feature, a report, three briefs and a special page; facts and
authors belong to one article, and anaphora (该区, 该办) must not reach across articles.  The layout has no markup,
so the split reads the structure a person sees:

* a **headline block** is one or more short lines without a sentence-final stop;
* an article starts at a headline block followed by a **byline** (``株洲日报·掌上株洲记者/李逸峰 通讯员/…``) or by a
  paragraph that opens with one (``…讯(记者/李逸峰 通讯员/李琼璞 明越)``);
* a **brief** starts at a headline whose text ends with a bracketed credit (``（甘敏 叶金涛）``);
* a short first line of a block (``专版``, ``新闻集装箱``) is the column, not the headline.

Headlines inside an article (``三级联动 实地走访“有速度”``) have neither, so they stay in their article.  Each article's
text is a slice of the page, so offsets stay meaningful (``metadata["offset"]`` is where the slice starts).  A text
with fewer than two articles is returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kg.document import Source
from kg.newsprint import credits, date_from_name

_STOPS = ("。", "！", "？", "!", "?", "；", ";", "：", ":", "，", ",", "、", "…")
_BYLINE = re.compile(r"^.{0,20}?(摄影记者|特约记者|见习记者|实习生|记者|通讯员)\s*[/／:：]")
_INLINE_BYLINE = re.compile(r"^.{0,20}?讯\s*[（(]\s*(记者|通讯员|特约记者|见习记者)")
_PUBLICATION = re.compile(r"^\s*(\S{2,12}?(?:日报|晚报|早报|商报|时报|报|网|电视台)(?:·[\u4e00-\u9fff]{2,8}?)?)"
                          r"(?=\s*(?:讯|记者|通讯员|特约记者|见习记者|摄影记者|实习生))")
_CREDIT_END = re.compile(r"[（(]\s*[\u4e00-\u9fff]{2,4}(?:[ \u3000、，,]+[\u4e00-\u9fff]{2,4})*\s*[）)]\s*$")
_DATELINE = re.compile(r"^\s*(?:\d{1,2}月\d{1,2}日|日前|近日|连日来|今年)")
MAX_HEADLINE = 40
MAX_COLUMN = 5


@dataclass
class _Line:
    start: int
    end: int
    text: str  # stripped
    kind: str  # blank, heading, byline, body


def _classify(text: str) -> list[_Line]:
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        start = pos + (len(body) - len(body.lstrip()))
        if not stripped or _PAGE_DATE.fullmatch(stripped):
            kind = "blank"  # a masthead date is no headline
        elif _BYLINE.match(stripped) and len(stripped) <= 60:
            kind = "byline"
        elif (len(stripped) <= MAX_HEADLINE and not stripped.endswith(_STOPS) and "。" not in stripped
              and not stripped.endswith("摄") and not stripped.startswith(("(", "（"))
              and not _DATELINE.match(stripped)):
            kind = "heading"
        else:
            kind = "body"
        lines.append(_Line(start, start + len(stripped), stripped, kind))
        pos += len(raw)
    return lines


def _content(lines: list[_Line], i: int) -> int | None:
    """Index of the next non-blank line from ``i``."""
    while i < len(lines) and lines[i].kind == "blank":
        i += 1
    return i if i < len(lines) else None


@dataclass
class _Start:
    line: int  # first line of the headline block
    headings: list[str]
    byline: str = ""


def _starts(lines: list[_Line]) -> list[_Start]:
    starts: list[_Start] = []
    i = 0
    while i < len(lines):
        if lines[i].kind != "heading":
            i += 1
            continue
        block = [i]
        j = _content(lines, i + 1)
        while j is not None and lines[j].kind == "heading":
            block.append(j)
            j = _content(lines, j + 1)
        nxt = lines[j] if j is not None else None
        headings = [lines[k].text for k in block]
        if nxt is not None and nxt.kind == "byline":
            starts.append(_Start(block[0], headings, nxt.text))
        elif nxt is not None and _INLINE_BYLINE.match(nxt.text):
            starts.append(_Start(block[0], headings, nxt.text[: nxt.text.find("）") + 1 or nxt.text.find(")") + 1]))
        elif nxt is not None and " " not in headings[-1].strip() and _brief_ends_with_credit(lines, j):
            starts.append(_Start(block[0], headings))
        i = (j if j is not None else len(lines))
    return starts


def _brief_ends_with_credit(lines: list[_Line], j: int | None) -> bool:
    """The body from line ``j`` up to the next headline ends with a bracketed credit (a brief)."""
    last = None
    k = j
    while k is not None and k < len(lines) and lines[k].kind != "heading":
        if lines[k].kind != "blank":
            last = lines[k]
        k += 1
    return last is not None and bool(_CREDIT_END.search(last.text))


def _authors(text: str) -> str:
    """``记者:李逸峰;通讯员:文石金,李波`` from every credit in the article, roles in order of first appearance."""
    by_role: dict[str, list[str]] = {}
    for _s, _e, name, role in credits(text):
        names = by_role.setdefault(role, [])
        if name not in names:
            names.append(name)
    return ";".join(f"{role}:{','.join(names)}" for role, names in by_role.items())


_SENTENCE_END = ("。", "！", "？", "!", "?", "；", ";", "…", "”", "’", "」", "）", ")", "摄")
_BROKEN = re.compile(r"([^\n]*)(\n[ \t\u3000]*(?:\n[ \t\u3000]*)+)(?=\S)")


def reflow(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    """Rejoin sentences the page layout broke across columns (…取得施工许可。项⏎⏎目于10月26日启动验收工作).

    The piece of a broken sentence before the break moves to after it, next to its continuation: no character is
    added or removed, so the article keeps the page's length.  Each move is ``(at, piece, gap)``: the piece that
    stood at ``at`` now starts at ``at + gap``, and the gap's white space now stands at ``at`` — enough to map any
    offset back to the page.  Headlines, bylines, captions and finished sentences are never moved.
    """
    lines = _classify(text)
    kinds = {ln.start: ln.kind for ln in lines}
    out = list(text)
    moves: list[tuple[int, int, int]] = []
    for m in _BROKEN.finditer(text):
        line_start = m.start(1)
        line = m.group(1).strip()
        nxt_start = m.end(2)
        if not line or kinds.get(line_start + len(m.group(1)) - len(m.group(1).lstrip())) != "body" \
                or kinds.get(nxt_start) != "body" or line.endswith(_SENTENCE_END) \
                or _CREDIT_END.search(line) or _BYLINE.match(line):
            continue
        # the unfinished piece: after the line's last sentence end
        last = max(m.group(1).rfind(c) for c in "。！？!?；;")
        piece_start = line_start + last + 1 if last >= 0 else line_start + len(m.group(1)) - len(m.group(1).lstrip())
        while piece_start < m.end(1) and text[piece_start] in "”’」）)":
            piece_start += 1  # closing quotes after the stop belong to the finished sentence
        piece_end = m.end(1)
        gap = m.group(2)
        piece = text[piece_start:piece_end]
        out[piece_start: piece_start + len(gap)] = gap
        out[piece_start + len(gap): m.end(2)] = piece
        moves.append((piece_start, len(piece), len(gap)))
    return "".join(out), moves


def page_offset(article: Source, offset: int) -> int:
    """Where a character of an article (``offset`` into its text) stands on the page it was split from."""
    for item in filter(None, article.metadata.get("reflow", "").split(";")):
        at, piece, gap = (int(v) for v in item.split(":"))
        if at <= offset < at + gap:
            offset += piece  # white space of the gap, moved before the piece
            break
        if at + gap <= offset < at + gap + piece:
            offset -= gap  # the piece, moved after the gap
            break
    return int(article.metadata.get("offset", "0")) + offset


_PAGE_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(?:星期|周)[一二三四五六日天])?")


def page_date(text: str) -> str:
    """The issue date printed in a page's masthead (2021年12月16日 星期四): a full date on a short line of its own
    within the first lines, not a date inside an article's sentence."""
    for line in text[:400].splitlines()[:8]:
        m = _PAGE_DATE.search(line)
        if m and len(line.strip()) <= 40 and "。" not in line:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return ""


def split_articles(source: Source) -> list[Source]:
    """The articles of a page as Sources (``path#a1``, ``#a2`` …), or ``[source]`` when it holds one article."""
    text = source.text
    lines = _classify(text)
    starts = _starts(lines)
    if len(starts) < 2 and not (starts and starts[0].line > 0 and _content(lines, 0) != starts[0].line):
        return [source]
    if starts and _content(lines, 0) != starts[0].line:
        # text before the first headline with a byline is an article of its own (its first line is its title)
        first = _content(lines, 0)
        if first is not None:
            starts.insert(0, _Start(first, [lines[first].text] if lines[first].kind == "heading" else []))
    if len(starts) < 2:
        return [source]
    date = source.date or page_date(text) or date_from_name(source.path or source.doc_id)
    out = []
    column = ""
    # the page's publication (株洲日报·掌上株洲) also publishes the briefs that carry no byline of their own
    page_pub = next((m.group(1) for st in starts if st.byline and (m := _PUBLICATION.match(st.byline))), "")
    for n, start in enumerate(starts, start=1):
        begin = lines[start.line].start
        end = lines[starts[n].line].start if n < len(starts) else len(text)
        headings = list(start.headings)
        if len(headings) >= 2 and len(headings[0]) <= MAX_COLUMN:
            column = headings.pop(0)
        elif start.byline:
            column = ""  # a full article with its own byline leaves any column of briefs
        title = headings[0] if headings else ""
        metadata = dict(source.metadata)
        metadata.update({"page": source.doc_id, "offset": str(begin), "article": str(n)})
        if len(headings) > 1:
            metadata["subtitle"] = " ".join(headings[1:])
        if column:
            metadata["column"] = column
        pub = _PUBLICATION.match(start.byline) if start.byline else None
        if pub or page_pub:
            metadata["publisher"] = pub.group(1) if pub else page_pub  # schema:publisher in the graph
        body, moves = reflow(text[begin:end].rstrip())
        if moves:
            metadata["reflow"] = ";".join(f"{at}:{frag}:{gap}" for at, frag, gap in moves)
        authors = _authors(body)
        if authors:
            metadata["authors"] = authors
        doc_id = f"{source.doc_id}#a{n}" if "#" not in source.doc_id else f"{source.doc_id}.a{n}"
        out.append(replace(source, doc_id=doc_id, text=body, title=title, date=date,
                           metadata=metadata))
    return out


__all__ = ["page_date", "page_offset", "reflow", "split_articles"]
