"""What flows between stages, in memory (the records on disk are in engine.records).

An answer has one shape from the generate stage to the pair stage: `Answer`, which holds its
`ResponseRecord` (exactly as written to responses.jsonl, or read back from it) and, once the
verify stage has checked it, its `Verdict`. A pair is a `PairRecord`; a judge sees it in one
order as a `JudgeInput` (engine.judges.base).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.records import ResponseRecord
from verifiers.base import Question, Verdict


@dataclass(frozen=True, slots=True)
class QItem:
    question: Question
    fmt: str  # the source format that produced it (for per-source request options)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: its record and, after the verify stage, its verdict."""

    record: ResponseRecord
    paired: bool  # an answer of the response model (pairs are made of these), not a solver's
    verdict: Verdict | None = None
    # Asked for by this process, not read back from the run store: a verdict stored under
    # its key was made from an answer that was lost (the new one may say something else).
    fresh: bool = False

    @property
    def key(self) -> str:
        return self.record.request_key

    @property
    def text(self) -> str:
        return self.record.text or ""

    @property
    def correct(self) -> bool | None:
        """The verdict: True, False, or None (not verified yet, or not verifiable)."""
        return self.verdict.correct if self.verdict is not None else None


@dataclass(frozen=True, slots=True)
class Answers:
    """One question and all its answers (each with its verdict once verified)."""

    item: QItem
    answers: tuple[Answer, ...]
