"""`compass_judger`: CompassJudger models, which answer in arena_hard's verdict format."""

from __future__ import annotations

from engine.judges.arena_hard import ArenaHardJudge, parse

__all__ = ["CompassJudgerJudge", "parse"]


class CompassJudgerJudge(ArenaHardJudge):
    TYPE = "compass_judger"
    TEMPLATE = "compass_judger.txt"
    # Decoding defaults and `followups` as arena_hard's.
