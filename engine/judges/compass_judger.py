"""`compass_judger`: CompassJudger models, which answer in arena_hard's verdict format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.judges.arena_hard import ArenaHardJudge, parse

__all__ = ["CompassJudgerJudge", "parse"]


class CompassJudgerJudge(ArenaHardJudge):
    TYPE = "compass_judger"
    TEMPLATE = "compass_judger.txt"
    DEFAULTS: ClassVar[Mapping[str, Any]] = {"temperature": 0.0, "max_tokens": 4096, "followups": 1}
