"""Bytes to text for Chinese news: UTF-8 (with or without BOM), UTF-16/32, GBK/GB18030 and Big5.

Why not just ``bytes.decode``: archives mix encodings, carry a stray bad byte in the middle of a 200 kB file, and a
batch must never stop on one of them.  :func:`decode_bytes` therefore always returns text; bytes that do not decode
are replaced with U+FFFD, counted, and reported with the byte offset of the first one, so a user can find them with
``xxd -s OFFSET``.

Detection order (cheapest and most certain first): a byte-order mark; a forced encoding; strict UTF-8 (the common
case, and a fast path); UTF-8 with a handful of bad bytes; then charset-normalizer restricted to the encodings Chinese
text actually comes in, so that short GBK snippets are not mistaken for Shift-JIS or Korean.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field

REPLACEMENT = "\ufffd"

# BOMs, longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Encodings a user may name that have a strict superset we decode with instead: GB18030 contains GBK contains GB2312,
# and Python's gbk codec rejects some byte pairs that Windows and GB18030 accept.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc_cn": "gb18030", "hz": "hz",
             "big5": "big5hkscs", "cp950": "big5hkscs", "utf_8_sig": "utf-8-sig", "ascii": "utf-8",
             "us_ascii": "utf-8"}

# What charset-normalizer may choose from.  Restricting it matters: unrestricted, a 10-byte GBK snippet comes back as
# cp949 or Shift-JIS.
CANDIDATES = ["utf_8", "gb18030", "big5", "utf_16_le", "utf_16_be"]

# A file whose UTF-8 decoding fails on at most this share of its non-ASCII bytes is UTF-8 with damage, not another
# encoding: a GBK file decoded as UTF-8 fails on nearly every Chinese character.
UTF8_DAMAGE_RATIO = 0.02

SNIFF = 8192

_local = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: remember where the bad bytes were and put one U+FFFD for them."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad: list[int] | None = getattr(_local, "bad", None)
    if bad is not None:
        bad.append(exc.start)
    return REPLACEMENT, exc.end


codecs.register_error("kg-count-replace", _count_and_replace)


@dataclass
class Decoded:
    """Decoded text with what was lost on the way.

    ``bad_offsets`` are byte offsets (into the input bytes) of each replaced sequence; ``encoding`` is the Python
    codec name actually used.
    """

    text: str
    encoding: str
    bad_offsets: list[int] = field(default_factory=list)
    detected: bool = True
    # False when no candidate encoding fits (charset-normalizer found none) and the text is a least-bad guess:
    # random or compressed bytes without NULs end up here, and so may text in an encoding we do not try.
    plausible: bool = True

    @property
    def replaced(self) -> int:
        return len(self.bad_offsets)

    def warning(self) -> str:
        """A one-line warning for the user, or "" when nothing was replaced."""
        if not self.bad_offsets:
            return ""
        return (f"{self.replaced} undecodable byte sequence(s) in {self.encoding} replaced with U+FFFD "
                f"(first at byte {self.bad_offsets[0]})")


def normalise_encoding(name: str) -> str:
    """A Python codec name for ``name`` (``GBK`` → ``gb18030``); ``LookupError`` when Python knows no such codec."""
    info = codecs.lookup(name.strip())
    key = info.name.replace("-", "_")
    return SUPERSETS.get(key, info.name)


def decode_with(data: bytes, encoding: str, *, skip: int = 0) -> Decoded:
    """Decode with ``encoding``, replacing and counting bad sequences; offsets count from the start of ``data``."""
    _local.bad = []
    try:
        text = data[skip:].decode(encoding, "kg-count-replace")
        bad = [skip + offset for offset in _local.bad]
    finally:
        _local.bad = None
    return Decoded(text=text, encoding=encoding, bad_offsets=bad)


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_\-]{2,40})""", re.IGNORECASE)


def declared_encoding(data: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or XML declaration names in the first bytes, if Python knows it."""
    match = _DECLARED.search(data[:2048])
    if not match:
        return None
    try:
        return normalise_encoding(match.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def _utf8_damage(data: bytes) -> Decoded | None:
    """UTF-8 with a few bad bytes (a truncated file, one corrupted sequence), or None when it is not UTF-8 at all.

    The decision is made on a prefix so that a 100 MB GBK file is not run through the error handler a million times.
    """
    sample = data[:65536]
    non_ascii = len(sample) - len(sample.translate(None, bytes(range(0x80, 0x100))))
    allowed = max(1, int(non_ascii * UTF8_DAMAGE_RATIO))
    if not non_ascii or decode_with(sample, "utf-8").replaced > allowed + 1:  # +1: the cut may split a character
        return None
    decoded = decode_with(data, "utf-8")
    non_ascii = len(data) - len(data.translate(None, bytes(range(0x80, 0x100))))
    return decoded if decoded.replaced <= max(1, int(non_ascii * UTF8_DAMAGE_RATIO)) else None


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit only at odd/even positions and the rest reads as text, else None.

    Checked before UTF-8 because UTF-16 text with ASCII in it is also valid UTF-8 (NUL is a valid character).
    """
    head = data[:SNIFF]
    if b"\0" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if (even == 0) == (odd == 0):
        return None
    codec = "utf-16-le" if even == 0 else "utf-16-be"
    text = head[: len(head) - len(head) % 2].decode(codec, "replace")
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return codec if text and printable / len(text) > 0.95 else None


def _detect(data: bytes) -> str | None:
    """charset-normalizer's best guess among :data:`CANDIDATES`, corrected for UTF-16 without a BOM."""
    from charset_normalizer import from_bytes

    matches = [m.encoding for m in from_bytes(data, cp_isolation=CANDIDATES)]
    if not matches:
        return None
    if matches[0].startswith("utf_16") and b"\0" not in data[:SNIFF]:
        # Chinese text in UTF-16 without a BOM is rare and almost always has ASCII (digits, spaces, newlines), hence
        # NUL bytes; without any, a multi-byte Chinese encoding further down the list is the better reading.
        others = [m for m in matches if not m.startswith("utf_16")]
        if others:
            return others[0]
    return matches[0]


def _is_common(ch: str, encoding: str) -> bool:
    """Whether ``ch`` is among the ~4000-5000 everyday characters of the encoding's character set (GB2312 level 1,
    Big5 level 1): real news is over 90 % such characters, random bytes decoded as GB18030 about 15 %."""
    try:
        code = ch.encode("gb2312" if encoding == "gb18030" else "big5")
    except UnicodeEncodeError:
        return False
    if len(code) != 2:
        return False
    if encoding == "gb18030":
        return 0xB0 <= code[0] <= 0xD7
    return 0xA440 <= int.from_bytes(code, "big") <= 0xC67E


def _reads_as_chinese(decoded: Decoded) -> bool:
    """A least-bad decoding that no detector vouched for still counts as text when it reads as everyday Chinese
    (a GBK file with one corrupt byte) or as text with almost nothing replaced; random and compressed bytes do not."""
    han = [ch for ch in decoded.text[:20000] if "\u4e00" <= ch <= "\u9fff"]
    if len(han) >= 10:
        return sum(1 for ch in han if _is_common(ch, decoded.encoding.split("hkscs")[0])) / len(han) >= 0.6
    return decoded.replaced <= max(1, len(decoded.text) // 100)


def decode_bytes(data: bytes, encoding: str | None = None) -> Decoded:
    """Always text: see the module docstring for the order of evidence.  ``encoding`` forces a codec."""
    found = bom_encoding(data)
    if encoding:
        codec = normalise_encoding(encoding)
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        result = decode_with(data, codec)
        result.detected = False
        return result
    if found is not None:
        return decode_with(data, found[0], skip=found[1])
    wide = utf16_without_bom(data)
    if wide is not None:
        return decode_with(data, wide)
    try:
        return Decoded(text=data.decode("utf-8"), encoding="utf-8")
    except UnicodeDecodeError:
        pass
    damaged = _utf8_damage(data)
    if damaged is not None:
        return damaged
    declared = declared_encoding(data)
    if declared:
        result = decode_with(data, declared)
        if result.replaced <= max(1, len(data) // 1000):
            return result
    guess = _detect(data)
    if guess is None:
        # Nothing fits cleanly: take the Chinese encoding that loses least, so the text is at least mostly there.
        results = [decode_with(data, codec) for codec in ("gb18030", "big5hkscs")]
        for result in results:
            result.plausible = _reads_as_chinese(result)
        return min([r for r in results if r.plausible] or results, key=lambda r: r.replaced)
    codec = normalise_encoding(guess)
    return decode_with(data, codec)


# Leading bytes of common binary formats that can slip past a NUL check in their first few kilobytes.
MAGIC = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"%PDF": "PDF document",
    b"PK\x03\x04": "ZIP archive (also .docx/.xlsx)",
    b"\x1f\x8b": "gzip archive",
    b"BZh": "bzip2 archive",
    b"\xfd7zXZ": "xz archive",
    b"7z\xbc\xaf": "7z archive",
    b"\x7fELF": "ELF executable",
    b"\xd0\xcf\x11\xe0": "MS Office document",
    b"SQLite format 3": "SQLite database",
}


def binary_kind(data: bytes) -> str | None:
    """Why ``data`` is not text (a format name), or None when it may be text.

    NUL bytes mean binary unless the file is UTF-16/32 (BOM, or NULs only at alternating positions with the other
    bytes decoding cleanly).
    """
    for magic, kind in MAGIC.items():
        if data.startswith(magic):
            return kind
    if b"\0" not in data[:SNIFF] or bom_encoding(data) is not None or utf16_without_bom(data) is not None:
        return None
    return "binary data (contains NUL bytes)"


def looks_binary_text(text: str) -> bool:
    """Decoded text that is mostly replacement or control characters is a binary that had no NUL bytes."""
    if not text:
        return False
    sample = text[:SNIFF]
    bad = sum(1 for ch in sample if ch == REPLACEMENT or (ord(ch) < 32 and ch not in "\r\n\t\f\v"))
    return bad / len(sample) > 0.3


__all__ = [
    "Decoded",
    "binary_kind",
    "declared_encoding",
    "decode_bytes",
    "decode_with",
    "looks_binary_text",
    "normalise_encoding",
]
