"""Best well-formed BIOES tag sequence under per-character tag distributions (no transition scores).

Why: when the CRF's marginals are averaged with the encoder's probabilities there is no CRF left to run Viterbi
for us, and taking each character's most likely tag can produce broken spans (an E without a B, a B-Person
followed by I-Place).  A Viterbi pass over the BIOES grammar alone keeps every span whole and picks the sequence
whose characters are jointly most probable.
"""

from __future__ import annotations

import numpy as np

from kg.extract.crf.charcnn import TAGS

_KINDS = [t.split("-")[0] for t in TAGS]
_TYPES = [t.split("-")[-1] for t in TAGS]
# FOLLOW[a, b]: 0 when tag b may follow tag a, -1e9 when not; OPENS / CLOSES: tags that may start / end a text
FOLLOW = np.where([[(b in "OBS") if a in "OES" else (b in "IE" and ta == tb)
                    for b, tb in zip(_KINDS, _TYPES, strict=True)] for a, ta in zip(_KINDS, _TYPES, strict=True)],
                  0.0, -1e9)
OPENS = np.array([k in "OBS" for k in _KINDS])
CLOSES = np.array([k in "OES" for k in _KINDS])


BATCH = 64  # sequences decoded side by side: the per-position numpy calls are paid once for all of them


def constrained_viterbi(log_probs: np.ndarray) -> list[str]:
    """Tags (from ``TAGS``) of the best BIOES-valid path under (len, len(TAGS)) log probabilities."""
    return constrained_viterbi_batch([log_probs])[0]


def constrained_viterbi_batch(sequences: list[np.ndarray]) -> list[list[str]]:
    """:func:`constrained_viterbi` of each (len, len(TAGS)) array, decoded in groups of similar length.

    A document reaches the tagger as dozens of short windows; one Python-level step per position of the
    longest window in a group, instead of per position of every window, keeps decoding off the profile.
    Shorter sequences are padded with certain O, which may only follow a closing tag: exactly the constraint
    their real last position needs.
    """
    out: list[list[str]] = [[] for _ in sequences]
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for g in range(0, len(order), BATCH):
        group = [i for i in order[g : g + BATCH] if len(sequences[i])]
        if not group:
            continue
        width = len(sequences[group[-1]])
        lp = np.full((len(group), width, len(TAGS)), -1e9)
        lp[:, :, 0] = 0.0  # TAGS[0] is O
        for row, i in enumerate(group):
            lp[row, : len(sequences[i])] = sequences[i]
        rows = np.arange(len(group))
        score = np.where(OPENS, lp[:, 0], -1e9)
        back = np.zeros((len(group), width, len(TAGS)), dtype=np.int64)
        for t in range(1, width):
            cand = score[:, :, None] + FOLLOW  # (group, from, to)
            back[:, t] = cand.argmax(1)
            score = cand[rows[:, None], back[:, t], np.arange(len(TAGS))] + lp[:, t]
        best = np.where(CLOSES, score, -1e9).argmax(1)
        path = np.empty((len(group), width), dtype=np.int64)
        path[:, -1] = best
        for t in range(width - 1, 0, -1):
            path[:, t - 1] = back[rows, t, path[:, t]]
        for row, i in enumerate(group):
            out[i] = [TAGS[k] for k in path[row, : len(sequences[i])].tolist()]
    return out


def averaged_tags(crf: np.ndarray, encoder: np.ndarray, weight: float) -> list[str]:
    """Decode the mixture ``(1 - weight) * crf + weight * encoder`` of two (len, len(TAGS)) distributions."""
    return averaged_tags_batch([crf], [encoder], weight)[0]


def averaged_tags_batch(crf: list[np.ndarray], encoder: list[np.ndarray], weight: float) -> list[list[str]]:
    """:func:`averaged_tags` of each pair of distributions, decoded together."""
    return constrained_viterbi_batch([np.log(np.maximum((1.0 - weight) * c + weight * e, 1e-12))
                                      for c, e in zip(crf, encoder, strict=True)])
