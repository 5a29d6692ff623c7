"""Pair stage: one verified-correct and one verified-wrong answer to the same question.

The choice is a pure function of the question, its answers and the run's seed
(`engine.pairing`), so a resumed run pairs exactly as an unbroken one.
"""

from __future__ import annotations

from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext
from engine.pairing import ScoredAnswer, make_pairs
from engine.records import PairRecord
from engine.stages.items import Checked


async def pair_worker(
    ctx: RunContext,
    receive: MemoryObjectReceiveStream[Checked],
    send: MemoryObjectSendStream[PairRecord],
) -> None:
    stats = ctx.stage("pair", "questions")
    ref = ctx.job.response_model
    async with receive, send:
        async for checked in receive:
            if ctx.stopping:
                continue
            scored = [
                ScoredAnswer(a.response_key, a.text, v)
                for a, v in checked.answers
                if a.is_response_model
            ]
            outcome = make_pairs(
                checked.item.question,
                scored,
                seed=ctx.job.seed,
                response_model=ref.model if ref else "unknown",
                per_question=ctx.job.pairing.per_question,
            )
            stats.done += 1
            if outcome.no_pair_reason:
                ctx.no_pair_reasons[outcome.no_pair_reason] += 1
            for pair in outcome.pairs:
                if not ctx.store.has(PairRecord, pair.pair_id):
                    ctx.store.put(pair)
                await send.send(pair)
