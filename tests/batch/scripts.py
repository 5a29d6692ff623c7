"""Deterministic model behaviour for batch tests (answers differ per sample seed on every API
that takes one; Anthropic's body has no seed, so its runs are judged from a pairs file)."""

from __future__ import annotations

import hashlib
from typing import Any

from fakes.wire import FakeReply


def _h(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def answer(req: Any) -> str:
    if req.model == "judge":
        return "Output (a)" if _h(req.last_user) % 2 else "Output (b)"
    seed = req.body.get("seed") or (req.body.get("generationConfig") or {}).get("seed") or 0
    letter = "ABCD"[_h(f"{req.last_user}|{seed}") % 4]
    return f"The answer is {letter}.\n\n{letter * 5}"


def answer_with_errors(req: Any) -> str | FakeReply:
    """As `answer`, but one judgment in three fails inside its batch (an HTTP 500 line) the
    first time; `FAILED` remembers which, so the resume's retry succeeds."""
    text = answer(req)
    if req.model == "judge" and _h(req.last_user + "e") % 3 == 0 and req.last_user not in FAILED:
        FAILED.add(req.last_user)
        return FakeReply(text=text, fault="500")
    return text


FAILED: set[str] = set()
