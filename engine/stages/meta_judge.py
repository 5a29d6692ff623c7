"""Meta-judge stage: each judgment of the chosen judges is scored on the meta-judge's rubric.

Judgments arrive from the judge stage as they are made (or found in the checkpoint), with
their pair. A meta-judgment is keyed by the meta-judge's settings and the judgment's own
key, so a resume skips what is already scored and sends a failed call again, as every
stage does. A judgment without a reply (a failed call) is not meta-judged.
"""

from __future__ import annotations

from dataclasses import replace

from anyio.streams.memory import MemoryObjectReceiveStream

from engine.context import RunContext, StageStats
from engine.judges.base import JudgeInput
from engine.keys import meta_judgment_key
from engine.records import JudgmentRecord, MetaJudgmentRecord, PairRecord, failed, usage_fields
from providers.base import ProviderError

MetaItem = tuple[PairRecord, JudgmentRecord]


async def meta_worker(
    ctx: RunContext, stats: StageStats, receive: MemoryObjectReceiveStream[MetaItem]
) -> None:
    async with receive:
        async for pair, judgment in receive:
            if ctx.stopping:
                continue
            await meta_judge_one(ctx, stats, pair, judgment)


async def meta_judge_one(
    ctx: RunContext, stats: StageStats, pair: PairRecord, judgment: JudgmentRecord
) -> None:
    assert ctx.meta is not None
    meta = ctx.meta.judge
    key = meta_judgment_key(meta.fingerprint(), judgment.request_key)
    if ctx.store.has(MetaJudgmentRecord, key):
        stats.done += 1
        stats.reused += 1
        return
    unsent = MetaJudgmentRecord(
        request_key=key,
        judgment_key=judgment.request_key,
        pair_id=pair.pair_id,
        judge=judgment.judge,
        order=judgment.order,
        raw=None,
        provider=ctx.meta.provider,
        model=meta.model,
    )
    item = JudgeInput.shown(pair, judgment.order)
    try:
        out = await meta.score(
            item, judgment.raw or "", judgment.decision, ctx.providers[ctx.meta.provider]
        )
    except ProviderError as exc:
        stats.failed += 1
        stats.done += 1
        ctx.counters.note_error(ctx.meta.provider, exc)
        if exc.error_class != "stopped":
            ctx.store.put(failed(unsent, exc))
        return
    ctx.store.put(
        replace(
            unsent,
            raw=out.raw,
            scores=dict(out.scores),
            meta_score=out.meta_score,
            usage=usage_fields(out.usage, out.cost, calls=1),
        )
    )
    stats.done += 1
