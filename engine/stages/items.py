"""What flows between stages (in memory only; the checkpoint records are in engine.records)."""

from __future__ import annotations

from dataclasses import dataclass

from verifiers.base import Question, Verdict


@dataclass(frozen=True, slots=True)
class QItem:
    question: Question
    fmt: str  # the source format that produced it (for per-source request options)


@dataclass(frozen=True, slots=True)
class Answer:
    response_key: str
    model: str
    sample_index: int
    text: str
    is_response_model: bool  # False for solver answers (verified, never paired)


@dataclass(frozen=True, slots=True)
class Answered:
    item: QItem
    answers: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class Checked:
    item: QItem
    answers: tuple[tuple[Answer, Verdict], ...]
