"""`vanilla`: the judge replies only `Output (a)` or `Output (b)`."""

from __future__ import annotations

import re

from engine.judges.prompted import PromptJudge, one_side
from engine.records import Decision
from providers.options import DecodingOptions

_BARE = re.compile(r"[\s*`\"'.]*output\s*\(\s*([ab])\s*\)[\s*`\"'.]*", re.IGNORECASE)
_ANY = re.compile(r"output\s*\(\s*([ab])\s*\)", re.IGNORECASE)


def parse(text: str) -> Decision | None:
    """`Output (a)` -> A>B, `Output (b)` -> B>A.

    A bare reply (markdown and quotes tolerated) is read directly. A longer reply counts
    only if every `Output (x)` in it names the same answer; a reply naming both, or
    neither, is no decision.
    """
    m = _BARE.fullmatch(text)
    letters = {m.group(1).lower()} if m else {x.lower() for x in _ANY.findall(text)}
    return one_side(letters, "a")


class VanillaJudge(PromptJudge):
    TYPE = "vanilla"
    TEMPLATE = "vanilla.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=1024)

    def parse(self, text: str) -> Decision | None:
        return parse(text)
