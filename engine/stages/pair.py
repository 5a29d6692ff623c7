"""Pair stage: one verified-correct and one verified-wrong answer to the same question.

The choice is a pure function of the question, its answers and the run's seed
(`engine.pairing`), so a resumed run pairs exactly as an unbroken one.
"""

from __future__ import annotations

from collections.abc import Mapping

from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext, StageStats
from engine.pairing import make_pairs
from engine.records import PairRecord
from engine.stages.items import Answers
from engine.stages.streams import put
from engine.stages.totals import pairs_known


async def pair_worker(
    ctx: RunContext,
    stats: Mapping[str, StageStats],
    receive: MemoryObjectReceiveStream[Answers],
    send: MemoryObjectSendStream[PairRecord],
) -> None:
    done = stats["pair"]
    n_pairs = 0
    async with receive, send:
        async for bundle in receive:
            if ctx.stopping:
                continue
            paired = [a for a in bundle.answers if a.paired]
            outcome = make_pairs(
                bundle.item.question,
                paired,
                seed=ctx.job.seed,
                # The answers' own model: with `responses:` it comes from the earlier run.
                response_model=paired[0].record.model if paired else "unknown",
                per_question=ctx.job.pairing.per_question,
            )
            done.done += 1
            if outcome.no_pair_reason:
                ctx.counters.no_pair_reasons[outcome.no_pair_reason] += 1
            for pair in outcome.pairs:
                # Written again when it differs from the stored one: an answer it holds was
                # lost and asked for anew (its judgments are then new work too).
                if ctx.store.get(PairRecord, pair.pair_id) != pair:
                    ctx.store.put(pair)
                await put(send, pair)
                n_pairs += 1
        if not ctx.stopping:  # every pair is known now: the judge stage gets a total and ETA
            pairs_known(stats, n_pairs, len(ctx.judges), len(ctx.job.meta_judged()))
