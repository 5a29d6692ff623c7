"""A run's records as compact columns keyed by hash: the report's memory per record.

The report aggregates (counts per category, outcome and decisions; joins of two judges on
the pairs both scored) and needs no record object for that. Each JSONL line read becomes a
few bytes appended to typed arrays: the 64-bit hash of its key (as `JudgmentTally` did
before) and small integer codes for its strings, interned once. `Keyed.freeze()` keeps
the last line per key, as the engine does on resume, and sorts by key so two judges join
with one vectorised intersection; past a few hundred thousand lines the lines wait on disk
(engine.report.keyed). A million pairs × five judges is ~65 MB of scores instead of five
million objects (docs/benchmarks.md, "Report memory").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.records import Decision, Outcome, ScoreRecord
from engine.report.keyed import Keyed, last_per_key
from engine.scoring import ScoreKey, category

DECISIONS: tuple[Decision | None, ...] = (None, "A>B", "B>A", "A=B")
OUTCOMES: tuple[Outcome, ...] = ("correct", "incorrect", "tie")
_DECISION = {d: i for i, d in enumerate(DECISIONS)}
_OUTCOME = {o: i for i, o in enumerate(OUTCOMES)}


def score_code(outcome: str, decision_ab: str | None, decision_ba: str | None) -> int:
    """outcome × 16 + decision_AB × 4 + decision_BA: a score in one byte (the viewer's too)."""
    try:
        return _OUTCOME[outcome] * 16 + _DECISION[decision_ab] * 4 + _DECISION[decision_ba]  # type: ignore[index]
    except KeyError as exc:
        raise ValueError(f"not an outcome or a decision: {exc}") from None


def key_hash(key: object) -> int:
    """The 64-bit key of a record (stable within one process, which is all a report is)."""
    return hash(str(key))


class Names:
    """Strings interned as small integers, in first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str | None, int] = {}
        self.items: list[str | None] = []

    def add(self, name: str | None) -> int:
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.items)
            self.items.append(name)
        return i


@dataclass(frozen=True, slots=True, eq=False)
class ScoreColumns:
    """One judge's scores in one run: per pair (sorted by key hash) a score code, its
    source and its response model (indices into `sources` and `models`)."""

    keys: np.ndarray  # int64, sorted, distinct
    code: np.ndarray  # uint8, `score_code`
    source: np.ndarray  # uint16 into sources
    model: np.ndarray  # uint16 into models
    sources: tuple[str, ...]
    models: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def correct(self) -> np.ndarray:
        return self.code < 16  # outcome "correct" is code 0 × 16

    def counts(self) -> Counter[ScoreKey]:
        """What `engine.scoring.score_counts` gives for the same scores."""
        out: Counter[ScoreKey] = Counter()
        n_codes = len(OUTCOMES) * 16
        both = self.source.astype(np.int64) * n_codes + self.code
        for value, k in zip(*np.unique(both, return_counts=True), strict=True):
            src, code = divmod(int(value), n_codes)
            oc, rest = divmod(code, 16)
            ab, ba = divmod(rest, 4)
            key = (category(self.sources[src]), OUTCOMES[oc], DECISIONS[ab], DECISIONS[ba])
            out[key] += int(k)
        return out

    def by_model(self) -> dict[str, tuple[int, int]]:
        """str(response model) -> (correct, n), as `group_accuracy` groups them."""
        hits = np.bincount(self.model, weights=self.correct, minlength=len(self.models))
        ns = np.bincount(self.model, minlength=len(self.models))
        out: dict[str, tuple[int, int]] = {}
        for i, n in enumerate(ns):
            if n:
                c0, n0 = out.get(str(self.models[i]), (0, 0))
                out[str(self.models[i])] = (c0 + int(hits[i]), n0 + int(n))
        return out

    @classmethod
    def of(cls, records: Iterable[ScoreRecord]) -> ScoreColumns:
        """From records in memory (tests, imports); the last record per pair wins."""
        b = ScoreBuilder(Names(), Names())
        for s in records:
            b.add(s.pair_id, s.source, s.outcome, s.decision_AB, s.decision_BA, s.response_model)
        return b.freeze()


class ScoreBuilder:
    """One judge's score lines as they are read; `freeze()` keeps the last per pair."""

    def __init__(self, sources: Names, models: Names) -> None:
        self._sources, self._models = sources, models
        self._lines = Keyed("B", "H", "H")

    def add(
        self,
        pair_id: object,
        source: str,
        outcome: str,
        decision_ab: str | None,
        decision_ba: str | None,
        response_model: str | None,
    ) -> None:
        self._lines.add(
            key_hash(pair_id),
            score_code(outcome, decision_ab, decision_ba),
            self._sources.add(source),
            self._models.add(response_model),
        )

    def freeze(self) -> ScoreColumns:
        keys, (code, source, model) = self._lines.freeze()
        return ScoreColumns(
            keys,
            code.astype(np.uint8),
            source.astype(np.uint16),
            model.astype(np.uint16),
            tuple(str(s) for s in self._sources.items),
            tuple(self._models.items),
        )


def joined(a: ScoreColumns, b: ScoreColumns) -> tuple[np.ndarray, np.ndarray]:
    """(a's correct, b's correct) on the pairs both scored, in key order."""
    _, ia, ib = np.intersect1d(a.keys, b.keys, assume_unique=True, return_indices=True)
    return a.correct[ia], b.correct[ib]


def pooled(columns: Sequence[ScoreColumns]) -> tuple[np.ndarray, np.ndarray]:
    """(response model names, correct) per pair over several runs' scores of one judge,
    each pair once, a later run's score winning (as a dict update would)."""
    if not columns:
        return np.array([], dtype=object), np.array([], dtype=bool)
    keys = np.concatenate([c.keys for c in columns])
    names = np.concatenate(
        [np.array([str(m) for m in c.models], dtype=object)[c.model] for c in columns]
    )
    hits = np.concatenate([c.correct for c in columns])
    _, last = last_per_key(keys)
    return names[last], hits[last]
