"""Deterministic model behaviour for engine tests run against the loopback fake server.

The answerer's letter is a function of the prompt and the per-sample seed, so reruns
get the same answers and the k samples of a question differ. The judge picks by a hash
of its prompt.
"""

from __future__ import annotations

import hashlib
from typing import Any


def _h(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def answer_or_judge(req: Any) -> str:
    if req.model == "judge":
        return "Output (a)" if _h(req.last_user) % 2 else "Output (b)"
    seed = req.body.get("seed", 0)
    letter = "ABCD"[_h(f"{req.last_user}|{seed}") % 4]
    return f"Let me think.\n\nThe answer is {letter}.\n\n{letter * 5}"


# Code answers for LiveCodeBench prompts: right for "Sum of Two", then an echo, a crash
# and a program that never ends, chosen by the prompt and the per-sample seed.
PROGRAMS = (
    "a, b = map(int, input().split())\nprint(a + b)",
    "print(input())",
    "raise SystemExit(3)",
    "while True:\n    pass",
)


def code_answers(req: Any) -> str:
    seed = req.body.get("seed", 0)
    if "Print A + B" in req.last_user and seed % 2 == 0:
        program = PROGRAMS[0]
    else:
        program = PROGRAMS[1 + _h(f"{req.last_user}|{seed}") % 3]
    return f"Here is my program.\n\n```python\n{program}\n```"
