"""Stage: export the store to files (Turtle of the union graph; TriG/N-Quads keep one graph per document)."""

from kg.export.writer import FORMATS, export

__all__ = ["FORMATS", "export"]
