"""Stage 2: Chinese NLP from decoded text to a Document (sentences, mentions, entities, relations)."""

from kg.extract.pipeline import Extractor

__all__ = ["Extractor"]
