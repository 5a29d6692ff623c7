"""`reward_model`: each answer is scored on its own by a reward model; higher score wins.

Scores come from `Provider.score` (an OpenAI-compatible server's reward/pooling API, as
vLLM serves it). The two answers are scored concurrently; equal scores are a tie (with the
`judgebench` template set, B wins them, as in JudgeBench).
"""

from __future__ import annotations

import anyio
import orjson

from engine.judges import judgebench_rules
from engine.judges.base import Judge, JudgeInput, JudgeOutput
from engine.records import Decision
from providers.base import Message, Provider


def decide(score_a: float, score_b: float) -> Decision:
    """Higher reward wins; equal rewards tie."""
    if score_a > score_b:
        return "A>B"
    return "B>A" if score_b > score_a else "A=B"


def parse(text: str) -> Decision | None:
    """Read back a recorded reply (`{"scores": [a, b]}`) into its decision."""
    try:
        scores = orjson.loads(text)["scores"]
        return decide(float(scores[0]), float(scores[1]))
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError):
        return None


class RewardModelJudge(Judge):
    TYPE = "reward_model"

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        scores: list[float] = [0.0, 0.0]

        async def one(i: int, answer: str) -> None:
            conv = (Message("user", item.question), Message("assistant", answer))
            scores[i] = await provider.score(self.spec.model, conv)

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 0, item.answer_a)
            tg.start_soon(one, 1, item.answer_b)
        raw = orjson.dumps({"scores": scores}).decode()
        rule = judgebench_rules.reward if self.faithful is not None else decide
        return JudgeOutput(rule(*scores), raw=raw, calls=2)
