"""Stage 1: files, directories and stdin to decoded Sources, with problems reported instead of raised.

Encodings are detected (:mod:`kg.read.decode`), formats sniffed and split into documents (:mod:`kg.read.formats`,
:mod:`kg.read.html`), plain-text pages split into their articles (:mod:`kg.read.articles`, unless ``lines`` or
``articles=False``); :func:`read_sources` is the one entry point the build and ``kg extract`` use.
"""

from kg.read.decode import Decoded, decode_bytes
from kg.read.files import (
    InputFile,
    ReadOptions,
    ReadProblem,
    ReadStats,
    ReadWarning,
    account,
    doc_id_for,
    id_root,
    input_files,
    read_bytes,
    read_input,
    read_sources,
)
from kg.read.formats import FORMATS, JsonFields

__all__ = ["FORMATS", "Decoded", "InputFile", "JsonFields", "ReadOptions", "ReadProblem", "ReadStats",
           "ReadWarning", "account", "decode_bytes", "doc_id_for", "id_root", "input_files", "read_bytes", "read_input",
           "read_sources"]
