"""Scores of single answers by order-free judges (reward models): each one paid for once.

An order-free judge's decision on a pair follows from the two answers' own scores, which do
not depend on the pair, the order it is shown in, or the other answer. A score is looked up
by `answer_score_key` (judge, provider, fingerprint, question, answer text): first in this
run's memory, then in answer_scores.jsonl (written by earlier processes of the run), and only
then asked for, once, however many judgments are waiting for it at the same moment.
"""

from __future__ import annotations

from typing import Literal

import anyio

from engine.context import RunContext
from engine.judges.base import OrderFreeJudge
from engine.keys import answer_score_key
from engine.records import AnswerScoreRecord, PairRecord, usage_fields
from providers.base import ProviderError

Side = Literal["A", "B"]


class AnswerScores:
    """The answer scores of one run (one per judge graph; shared by every judge worker)."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        # key -> the score, or the error its call failed with in this process (a failure is
        # not asked again before a resume, as for every other failed call).
        self._outcome: dict[str, float | ProviderError] = {}
        self._pending: dict[str, anyio.Event] = {}

    async def score(self, name: str, pair: PairRecord, side: Side) -> tuple[float, bool]:
        """The score judge `name` gives the pair's answer `side`, and whether it was asked
        for now (False: it was known already). A failed call raises its ProviderError."""
        slot = self._ctx.judges[name]
        judge = slot.judge
        assert isinstance(judge, OrderFreeJudge)
        answer = pair.response_A if side == "A" else pair.response_B
        key = answer_score_key(name, slot.provider, judge.fingerprint(), pair.question, answer)
        while (pending := self._pending.get(key)) is not None:
            await pending.wait()  # someone is asking for this very score: share its answer
        known = self._outcome.get(key)
        if isinstance(known, ProviderError):
            raise known
        if known is not None:
            return known, False
        cached = self._ctx.store.get(AnswerScoreRecord, key)
        if cached is not None:
            self._outcome[key] = cached.score
            return cached.score, False
        done = self._pending[key] = anyio.Event()
        try:
            got = await judge.score_answer(
                pair.question, answer, self._ctx.providers[slot.provider]
            )
        except ProviderError as exc:
            self._outcome[key] = exc
            raise
        else:
            self._ctx.store.put(
                AnswerScoreRecord(
                    request_key=key,
                    judge=name,
                    provider=slot.provider,
                    model=judge.spec.model,
                    score=got.score,
                    response_key=pair.response_key_A if side == "A" else pair.response_key_B,
                    usage=usage_fields(got.usage, got.cost, calls=1),
                )
            )
            self._outcome[key] = got.score
        finally:  # also when cancelled: a waiter then asks for the score itself
            del self._pending[key]
            done.set()
        return got.score, True
