"""Deterministic, readable IRIs.

An entity's IRI is made from its type and canonical label only, so the same name found in two documents (or on two
machines) lands on the same node: that is how entities merge across documents.  Chinese characters are kept as they
are (IRIs allow them, and a reader can see what a node is); characters that would break an IRI or a URL path are
percent-encoded.
"""

from __future__ import annotations

from urllib.parse import quote

from kg.rdf.namespaces import DEFAULT_BASE

# Keep everything that is legal and unambiguous in an IRI path segment; encode the rest.
_SAFE = "-._~!$&'()*+,;=:@"


def segment(text: str, *, keep_slash: bool = False) -> str:
    """One path segment: non-ASCII kept, reserved ASCII and control/space characters percent-encoded."""
    safe = _SAFE + "/" if keep_slash else _SAFE
    out = []
    for ch in text:
        if ord(ch) > 127 and ch.isprintable() and not ch.isspace():
            out.append(ch)
        else:
            out.append(quote(ch, safe=safe))
    return "".join(out) or "_"


def normalise_base(base: str | None) -> str:
    base = base or DEFAULT_BASE
    return base if base.endswith(("/", "#")) else base + "/"


def entity_iri(base: str, type_name: str, label: str) -> str:
    return f"{normalise_base(base)}{type_name.lower()}/{segment(label)}"


def document_iri(base: str, doc_id: str) -> str:
    return f"{normalise_base(base)}doc/{segment(doc_id, keep_slash=True)}"


def graph_iri(base: str, doc_id: str) -> str:
    """The named graph holding what one document asserts (kept apart from the document node itself)."""
    return f"{normalise_base(base)}graph/{segment(doc_id, keep_slash=True)}"
