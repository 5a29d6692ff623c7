"""`vanilla`: the judge replies only `Output (a)` or `Output (b)`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from engine.judges.prompted import PromptJudge
from engine.records import Decision

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
    if len(letters) != 1:
        return None
    return "A>B" if letters == {"a"} else "B>A"


class VanillaJudge(PromptJudge):
    TYPE = "vanilla"
    TEMPLATE = "vanilla.txt"
    DEFAULTS: ClassVar[Mapping[str, Any]] = {"temperature": 0.0, "max_tokens": 1024}
    PARSE = staticmethod(parse)
