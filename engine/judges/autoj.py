"""`autoj`: the reply ends with `final decision is Response 1`, `Response 2` or `Tie`.

As in Auto-J's own protocol, the last such statement counts (a judge that revises its
decision mid-reply is read by its final word).
"""

from __future__ import annotations

from engine.judges.prompted import PromptJudge
from engine.records import Decision
from providers.options import DecodingOptions

_MARK = "final decision is "


def parse(text: str) -> Decision | None:
    low = text.lower()
    pos = low.rfind(_MARK)
    if pos < 0:
        return None
    rest = low[pos + len(_MARK) :].strip().lstrip("*\"'`:").strip()
    if rest.startswith("response 1"):
        return "A>B"
    if rest.startswith("response 2"):
        return "B>A"
    return "A=B" if rest.startswith("tie") else None


class AutoJJudge(PromptJudge):
    TYPE = "autoj"
    TEMPLATE = "autoj.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=1024)

    def parse(self, text: str) -> Decision | None:
        return parse(text)
