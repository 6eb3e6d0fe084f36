"""Statistical (character CRF) Chinese named-entity tagger for Person, Place and Agency.

Usage::

    from kg.extract.crf import CrfTagger
    spans = CrfTagger.load().tag("株洲市人民政府副市长李四昨日在长沙调研。")
"""

from kg.extract.crf.tagger import DEFAULT_MODEL_PATH, CrfTagger, tags_to_spans

__all__ = ["DEFAULT_MODEL_PATH", "CrfTagger", "tags_to_spans"]
