"""jieba's POS segmentation with its HMM Viterbi vectorised: token for token the same as ``jieba.posseg.cut``.

Why: on news text about 70 % of ``jieba.posseg.cut``'s time goes to the HMM that segments and tags the runs of
characters jieba's dictionary does not cover (names, new words).  jieba's Viterbi loops in Python over every
(previous state, state) pair of ~250 joint BMES x POS states, for every character.  Here each step is a few numpy
operations over a dense transition matrix.  The arithmetic is the same float64 sums in the same order and ties are
broken as jieba breaks them (``max`` over ``(score, state name)`` tuples: the greatest state name wins), so the
path, and therefore every token and tag, is identical; ``tests/test_posseg.py`` compares the two on real text.

Everything else (dictionary, DAG, user words, the regular expressions) is jieba's own: :class:`FastPosTokenizer`
overrides only the HMM step of ``jieba.posseg.POSTokenizer`` and shares the default tokenizer's dictionary and
word-tag table, so user dictionaries loaded into jieba apply here too.  ``jieba.posseg.cut`` itself is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import jieba
import jieba.posseg
import numpy as np
from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P
from jieba.posseg.viterbi import MIN_FLOAT

_NEG_INF = float("-inf")
PATH_CACHE = 20_000  # runs whose Viterbi path is kept (~2 MB); the cache is emptied when full


class _Hmm:
    """Dense tables of jieba's POS HMM, states in ascending name order (so "greatest name" is "last index")."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str]] = sorted(trans_P)
        index = {s: i for i, s in enumerate(self.states)}
        n = len(self.states)
        self.trans = np.full((n, n), _NEG_INF)
        self.follows = np.zeros((n, n), dtype=bool)  # the state has the next one among its transition keys
        for prev, nexts in trans_P.items():
            for state, logp in nexts.items():
                self.trans[index[prev], index[state]] = logp
                self.follows[index[prev], index[state]] = True
        self.has_next = self.follows.any(axis=1)
        self.start = np.array([start_P[s] for s in self.states])
        self.all_states = np.ones(n, dtype=bool)
        self._index = index
        # caches filled as characters and runs are met; a race between threads only computes an entry twice
        self._char_states: dict[str, np.ndarray] = {}
        self._emit: dict[str, np.ndarray] = {}
        self._paths: dict[str, list[tuple[str, str]]] = {}

    def char_states(self, ch: str) -> np.ndarray:
        """Mask of the states jieba allows for *ch* (all states for a character it has no entry for)."""
        mask = self._char_states.get(ch)
        if mask is None:
            allowed = char_state_tab_P.get(ch)
            if allowed is None:
                mask = self.all_states
            else:
                mask = np.zeros(len(self.states), dtype=bool)
                mask[[self._index[s] for s in allowed]] = True
            self._char_states[ch] = mask
        return mask

    def emit(self, ch: str) -> np.ndarray:
        """Log emission probability of *ch* in every state (jieba's MIN_FLOAT where it has none)."""
        row = self._emit.get(ch)
        if row is None:
            row = np.array([emit_P[s].get(ch, MIN_FLOAT) for s in self.states])
            self._emit[ch] = row
        return row

    def viterbi(self, obs: str) -> list[tuple[str, str]]:
        """The state path ``jieba.posseg.viterbi.viterbi`` returns for *obs* (a non-empty run of characters).

        Runs of unknown characters repeat (a name recurs through an article and across articles), so recent
        paths are kept: the same run always gets the same path.
        """
        path = self._paths.get(obs)
        if path is None:
            path = self._viterbi(obs)
            if len(self._paths) >= PATH_CACHE:
                self._paths.clear()
            self._paths[obs] = path
        return path

    def _viterbi(self, obs: str) -> list[tuple[str, str]]:
        n_states = len(self.states)
        alive = self.char_states(obs[0])
        score = np.where(alive, self.start + self.emit(obs[0]), _NEG_INF)
        back: list[np.ndarray] = []
        for ch in obs[1:]:
            prev = np.nonzero(alive & self.has_next)[0]
            expected = self.follows[prev].any(axis=0)
            now = self.char_states(ch) & expected
            if not now.any():
                now = expected if expected.any() else self.all_states
            cols = np.nonzero(now)[0]
            # (previous, state) sums in jieba's order: (V[t-1][y0] + trans) + emit
            sums = (score[prev][:, None] + self.trans[prev[:, None], cols]) + self.emit(ch)[cols]
            best = sums.max(axis=0)
            # ties go to the greatest previous state name, i.e. the last row holding the maximum
            last = len(prev) - 1 - np.argmax((sums == best)[::-1], axis=0)
            step_back = np.empty(n_states, dtype=np.int64)
            step_back[cols] = prev[last]
            score = np.full(n_states, _NEG_INF)
            score[cols] = best
            back.append(step_back)
            alive = now
        final = np.nonzero(alive)[0]
        top = score[final].max()
        state = int(final[np.nonzero(score[final] == top)[0][-1]])
        path = [state]
        for step_back in reversed(back):
            state = int(step_back[state])
            path.append(state)
        return [self.states[i] for i in reversed(path)]


@lru_cache(maxsize=1)
def _tables() -> _Hmm:
    """The HMM's tables, built on first use (the extractor's first unknown word), once per process."""
    return _Hmm()


class FastPosTokenizer(jieba.posseg.POSTokenizer):
    """``jieba.posseg.POSTokenizer`` over jieba's default dictionary, with the vectorised HMM step."""

    def __init__(self) -> None:
        """Nothing to read: the dictionary and tag table are the default instance's (see the properties)."""

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        """jieba's default tokenizer (its dictionary and user words), looked up on each use."""
        return jieba.posseg.dt.tokenizer

    @property
    def word_tag_tab(self) -> dict[str, str]:
        """The default POS tokenizer's word -> tag table, looked up on each use (jieba rebinds it when it
        re-initialises)."""
        return jieba.posseg.dt.word_tag_tab

    def _POSTokenizer__cut(self, sentence: str) -> Iterator[jieba.posseg.pair]:
        """jieba's ``__cut`` (HMM segmentation of one run of characters; this name overrides it), on
        :meth:`_Hmm.viterbi`."""
        pos_list = _tables().viterbi(sentence)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield jieba.posseg.pair(sentence[begin : i + 1], pos_list[i][1])
                nexti = i + 1
            elif pos == "S":
                yield jieba.posseg.pair(char, pos_list[i][1])
                nexti = i + 1
        if nexti < len(sentence):
            yield jieba.posseg.pair(sentence[nexti:], pos_list[nexti][1])

    def makesure_userdict_loaded(self) -> None:
        """Words added to jieba since the last call get their tags in the shared table (as jieba's own does)."""
        jieba.posseg.dt.makesure_userdict_loaded()


fast = FastPosTokenizer()


def forget_paths() -> None:
    """Empty the cache of Viterbi paths (benchmarks call it so a document's second pass is not measured warm)."""
    _tables()._paths.clear()


def cut(sentence: str, hmm: bool = True) -> Iterator[jieba.posseg.pair]:
    """Drop-in for ``jieba.posseg.cut(sentence, HMM=hmm)`` (same tokens and tags, faster on unknown words)."""
    return fast.cut(sentence, HMM=hmm)
