"""Verifiers must turn any answer into a verdict: random and hostile text never raises."""

from __future__ import annotations

import random
import string

from verifiers import livebench, mmlu_pro
from verifiers.base import Question

CASES = [
    ("mmlu_pro", "C"),
    ("web_of_lies_v2", "yes, no, yes"),
    ("zebra_puzzle", "3"),
    ("spatial", "triangle"),
    ("house_traversal", "kitchen hall"),
    ("math_comp", "D"),
    ("math_comp", "025"),
    ("olympiad", "2,1,3"),
    ("AMPS_Hard", "x^2"),
]
HOSTILE = [
    "",
    "*" * 1000,
    "\\boxed{" * 50,
    "}" * 50 + "\\boxed{}",
    "Answer:" * 20,
    "Answer: , , ,",
    "<solution></solution>",
    "***",
    "\\boxed{\\frac{}{}}",
    "\x00\uffff\U0001f600",
    "**yes** " * 500,
]


def _random_text(rng: random.Random) -> str:
    alphabet = string.printable + "*{}\\$<>"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300)))


def test_no_answer_makes_a_verifier_raise() -> None:
    rng = random.Random(0)
    texts = HOSTILE + [_random_text(rng) for _ in range(60)]
    for task, truth in CASES:
        q = Question("t:1", "s", task, "Q", "Q", truth, meta={"release_date": "2024-06-24"})
        verify = mmlu_pro.verify if task == "mmlu_pro" else livebench.verify
        for text in texts:
            v = verify(q, text)
            assert v.correct in (True, False, None)
            assert 0.0 <= v.score <= 1.0
            assert isinstance(v.reason, str) and v.reason


def test_a_malformed_ground_truth_is_unverifiable_not_an_error() -> None:
    q = Question("t:1", "s", "olympiad", "Q", "Q", "2,x,3")
    v = livebench.verify(q, "Answer: 2, 1, 3")
    assert v.correct is None
    assert "cannot check" in v.reason
