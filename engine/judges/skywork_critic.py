"""`skywork_critic`: the reply is `[[A]]` or `[[B]]`."""

from __future__ import annotations

import re

from engine.judges.prompted import PromptJudge, one_side
from engine.records import Decision
from providers.options import DecodingOptions

_LABEL = re.compile(r"\[\[\s*([AB])\s*\]\]")


def parse(text: str) -> Decision | None:
    """`[[A]]` -> A>B, `[[B]]` -> B>A; a bare `A`/`B` reply is accepted; both is none."""
    letters = set(_LABEL.findall(text))
    if not letters and text.strip().strip("*.`") in ("A", "B"):
        letters = {text.strip().strip("*.`")}
    return one_side(letters, "A")


class SkyworkCriticJudge(PromptJudge):
    TYPE = "skywork_critic"
    TEMPLATE = "skywork_critic.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=2048)

    def parse(self, text: str) -> Decision | None:
        return parse(text)
