"""`judgelm`: the first line of the reply holds two scores from 1 to 10, A's then B's."""

from __future__ import annotations

import re

from engine.judges.prompted import PromptJudge
from engine.records import Decision
from providers.options import DecodingOptions

_NUMBER = r"(\d+(?:\.\d+)?)"
_SCORES = re.compile(rf"\s*{_NUMBER}\s*(?:,\s*|\s+){_NUMBER}\s*")


def parse(text: str) -> Decision | None:
    """Higher score wins, equal scores tie; a first line that is not two numbers is none."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    m = _SCORES.fullmatch(first)
    if not m:
        return None
    a, b = float(m.group(1)), float(m.group(2))
    if a > b:
        return "A>B"
    return "B>A" if b > a else "A=B"


class JudgeLMJudge(PromptJudge):
    TYPE = "judgelm"
    TEMPLATE = "judgelm.txt"
    # JudgeLM needs only the score line; its explanation follows and may be cut.
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=16)

    def parse(self, text: str) -> Decision | None:
        return parse(text)
