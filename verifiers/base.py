"""Records shared by every source: a question with ground truth, and a verdict on one answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Why a verdict is what it is, as a typed field (the `reason` text is for people):
# * checked       – an answer was extracted and compared with the ground truth;
# * no_answer     – nothing the rule accepts was found: a wrong answer;
# * time_limit    – the answer's program ran out of its CPU-time limit (or slept past the
#                   wall-clock backstop) on a test: wrong;
# * unverifiable  – the ground truth or the tests cannot be used: no verdict;
# * timeout       – the check itself ran out of time (e.g. sympy): no verdict, and not a
#                   final one: a resumed run checks the answer again;
# * error         – the verifier or the sandbox failed: no verdict, checked again on resume.
VerdictKind = Literal["checked", "no_answer", "time_limit", "unverifiable", "timeout", "error"]
# Kinds that say nothing about the answer and may come out differently next time.
RETRIED_KINDS: frozenset[VerdictKind] = frozenset({"timeout", "error"})


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
    tests); `score` carries partial credit (1.0 for a fully right answer); `kind` says why,
    as a type (see `VerdictKind`), and `reason` says it in words.
    """

    correct: bool | None
    score: float
    extracted: str | None
    reason: str
    kind: VerdictKind = "checked"

    @property
    def final(self) -> bool:
        """False for a check that timed out or failed: it is done again, never reused."""
        return self.kind not in RETRIED_KINDS
