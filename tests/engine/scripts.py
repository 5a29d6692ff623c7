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
