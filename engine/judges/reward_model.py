"""`reward_model`: each answer is scored on its own by a reward model; higher score wins.

Scores come from `Provider.score_response` (an OpenAI-compatible server's reward/pooling
API, as vLLM serves it); equal scores are a tie (with the `judgebench` template set, B wins
them, as in JudgeBench). The judge is order-free: in a run each
answer is scored once, however many pairs and orders show it (engine.stages.answer_scores).
"""

from __future__ import annotations

import orjson

from engine.judges import judgebench_rules
from engine.judges.base import AnswerScore, OrderFreeJudge
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


class RewardModelJudge(OrderFreeJudge):
    TYPE = "reward_model"

    async def score_answer(self, question: str, answer: str, provider: Provider) -> AnswerScore:
        conv = (Message("user", question), Message("assistant", answer))
        got = await provider.score_response(self.spec.model, conv)
        return AnswerScore(got.score, got.usage, got.cost)

    def decide(self, first: float, second: float) -> Decision:
        rule = judgebench_rules.reward if self.faithful is not None else decide
        return rule(first, second)
