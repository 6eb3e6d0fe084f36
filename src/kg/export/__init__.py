"""Stage: export the store to files and import files back (Turtle/N-Triples of the union graph; TriG, N-Quads and
JSON-LD keep one graph per document)."""

from kg.export.importer import EXTENSIONS, IMPORT_FORMATS, ImportReport, import_file
from kg.export.writer import FORMATS, export

__all__ = ["EXTENSIONS", "FORMATS", "IMPORT_FORMATS", "ImportReport", "export", "import_file"]
