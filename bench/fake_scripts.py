"""Scripted model behaviour for benchmarks run against the loopback fake server."""

from __future__ import annotations

import hashlib
from typing import Any


def _h(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def mmlu_or_vanilla(req: Any) -> str:
    """An MMLU-Pro answer letter (right a quarter of the time); judges say (a)/(b)."""
    prompt = req.last_user
    if "Output (a)" in prompt or "Output (b)" in prompt:
        return "Output (a)" if _h(prompt) % 2 else "Output (b)"
    letter = "ABCD"[_h(f"{prompt}|{req.body.get('seed', 0)}") % 4]
    return f"Thinking briefly.\n\n{letter * 5}"
