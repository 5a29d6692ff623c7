"""`skywork_critic`: the reply is `[[A]]` or `[[B]]`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from engine.judges.prompted import PromptJudge
from engine.records import Decision

_LABEL = re.compile(r"\[\[\s*([AB])\s*\]\]")


def parse(text: str) -> Decision | None:
    """`[[A]]` -> A>B, `[[B]]` -> B>A; a bare `A`/`B` reply is accepted; both is none."""
    letters = set(_LABEL.findall(text))
    if not letters and text.strip().strip("*.`") in ("A", "B"):
        letters = {text.strip().strip("*.`")}
    if len(letters) != 1:
        return None
    return "A>B" if letters == {"A"} else "B>A"


class SkyworkCriticJudge(PromptJudge):
    TYPE = "skywork_critic"
    TEMPLATE = "skywork_critic.txt"
    DEFAULTS: ClassVar[Mapping[str, Any]] = {"temperature": 0.0, "max_tokens": 2048}
    PARSE = staticmethod(parse)
