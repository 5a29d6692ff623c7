"""Records shared by every source: a question with ground truth, and a verdict on one answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Question:
    """One question with its ground truth, in the shape every stage after loading uses.

    `id` is unique across sources (e.g. ``mmlu-pro:1420``); `source` is JudgeBench's
    source name (``mmlu-pro-law``, ``livebench-reasoning``, ``livebench-math``,
    ``livecodebench``); `task` selects the verifier.
    """

    id: str
    source: str
    task: str
    # The text shown to the response model (our prompt wording around the question).
    prompt: str
    # The question as a judge sees it (JudgeBench's `question` field).
    question: str
    # JSON-able ground truth: a letter, a LiveBench string, or test cases for code.
    ground_truth: Any
    original_id: int | str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of checking one answer against ground truth.

    `correct` is None when the answer cannot be verified (e.g. no sandbox, missing
    tests); `score` carries partial credit (1.0 for a fully right answer).
    """

    correct: bool | None
    score: float
    extracted: str | None
    reason: str
