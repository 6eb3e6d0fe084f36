"""Stage 1: files and directories to decoded Sources, with problems reported instead of raised."""

from kg.read.files import ReadProblem, read_sources

__all__ = ["ReadProblem", "read_sources"]
