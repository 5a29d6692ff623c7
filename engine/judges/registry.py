"""Judge types by name, and the one constructor the engine calls."""

from __future__ import annotations

from engine.judges.arena_hard import ArenaHardJudge
from engine.judges.autoj import AutoJJudge
from engine.judges.base import Judge, JudgeSpec
from engine.judges.compass_judger import CompassJudgerJudge
from engine.judges.judgelm import JudgeLMJudge
from engine.judges.multi_agent import MultiAgentJudge
from engine.judges.pandalm import PandaLMJudge
from engine.judges.prometheus2 import Prometheus2Judge
from engine.judges.reward_model import RewardModelJudge
from engine.judges.skywork_critic import SkyworkCriticJudge
from engine.judges.vanilla import VanillaJudge

JUDGE_TYPES: dict[str, type[Judge]] = {
    cls.TYPE: cls
    for cls in (
        VanillaJudge,
        ArenaHardJudge,
        Prometheus2Judge,
        JudgeLMJudge,
        PandaLMJudge,
        AutoJJudge,
        SkyworkCriticJudge,
        CompassJudgerJudge,
        RewardModelJudge,
        MultiAgentJudge,
    )
}


def create_judge(spec: JudgeSpec) -> Judge:
    """Build the judge a job asks for; unknown types and bad templates raise ValueError."""
    cls = JUDGE_TYPES.get(spec.type)
    if cls is None:
        raise ValueError(
            f"judge {spec.name!r}: unknown type {spec.type!r}; "
            f"known types: {', '.join(sorted(JUDGE_TYPES))}"
        )
    return cls(spec)
