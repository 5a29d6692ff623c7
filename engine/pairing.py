"""Pairing: one verified-correct and one verified-wrong answer to the same question.

Pure (no I/O). The engine calls::

    make_pairs(question, answers, *, seed, response_model, per_question=1) -> PairingOutcome

* ``answers`` are verified ``Answer``s (engine.stages.items); they are sorted by their
  key first, so the outcome does not depend on the order they arrived in.
* A question with at least one right (``answer.correct is True``) and one wrong
  (``False``) answer yields ``min(per_question, right × wrong)`` pairs: distinct
  (right, wrong) combinations drawn with a generator seeded by (seed, question id).
* The right answer's side is a coin drawn from the same generator for the first pair and
  alternates after it, so labels balance across questions and within one question.
* Otherwise ``no_pair_reason`` says why: ``too_few`` (fewer than two answers),
  ``unverifiable`` (no answer could be checked), ``all_right`` or ``all_wrong``
  (answers that could not be checked do not count either way).
* ``pair_id`` is a UUID of the question id and the two answers' keys in A/B order, so a
  rerun with the same seed writes identical pair records.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.records import PairRecord
from engine.stages.items import Answer
from verifiers.base import Question
from verifiers.pair_files import pair_id

NoPairReason = Literal["all_right", "all_wrong", "unverifiable", "too_few"]


@dataclass(frozen=True, slots=True)
class PairingOutcome:
    pairs: list[PairRecord] = field(default_factory=list)
    no_pair_reason: NoPairReason | None = None


def question_rng(seed: int, question_id: str) -> random.Random:
    """A generator private to one question, the same on every run with this seed."""
    digest = hashlib.sha256(f"{seed}\x1f{question_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def no_pair_reason(answers: Sequence[Answer]) -> NoPairReason | None:
    """Why these answers cannot make a pair, or None when they can."""
    if len(answers) < 2:
        return "too_few"
    right = any(a.correct is True for a in answers)
    wrong = any(a.correct is False for a in answers)
    if right and wrong:
        return None
    if right:
        return "all_right"
    if wrong:
        return "all_wrong"
    return "unverifiable"


def make_pairs(
    question: Question,
    answers: Sequence[Answer],
    *,
    seed: int,
    response_model: str,
    per_question: int = 1,
) -> PairingOutcome:
    """Pairs for one question (see the module docstring)."""
    if per_question < 1:
        raise ValueError("per_question must be at least 1")
    ordered = sorted(answers, key=lambda a: a.key)
    reason = no_pair_reason(ordered)
    if reason is not None:
        return PairingOutcome([], reason)
    right = [a for a in ordered if a.correct is True]
    wrong = [a for a in ordered if a.correct is False]
    rng = question_rng(seed, question.id)
    combos = [(r, w) for r in right for w in wrong]
    chosen = rng.sample(combos, min(per_question, len(combos)))
    right_first = rng.random() < 0.5
    pairs = []
    for good, bad in chosen:
        a, b = (good, bad) if right_first else (bad, good)
        pairs.append(
            PairRecord(
                pair_id=pair_id(question.id, a.key, b.key),
                original_id=question.original_id,
                source=question.source,
                question=question.question,
                response_model=response_model,
                response_A=a.text,
                response_B=b.text,
                label="A>B" if right_first else "B>A",
                response_key_A=a.key,
                response_key_B=b.key,
                question_id=question.id,
            )
        )
        right_first = not right_first
    return PairingOutcome(pairs, None)
