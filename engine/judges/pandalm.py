"""`pandalm`: the first line of the reply is `1`, `2` or `Tie`."""

from __future__ import annotations

from engine.judges.prompted import PromptJudge
from engine.records import Decision
from providers.options import DecodingOptions


def parse(text: str) -> Decision | None:
    """`1` -> A>B, `2` -> B>A, `Tie` -> A=B; any other first line is no decision."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = first.rstrip(".").strip()
    if first == "1":
        return "A>B"
    if first == "2":
        return "B>A"
    return "A=B" if first.lower() == "tie" else None


class PandaLMJudge(PromptJudge):
    TYPE = "pandalm"
    TEMPLATE = "pandalm.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=150)

    def parse(self, text: str) -> Decision | None:
        return parse(text)
