"""Judge stage: every judge sees every pair twice, (A,B) and (B,A), all calls concurrent.

The 2 × judges calls of a pair are fanned out in one task group and joined; a judge whose
two orders both succeeded gets its score record. Errors are recorded but are never
decisions: no score is written, and a resume sends the failed call again. With a
meta-judge, every judgment of the judges it scores (new, or found in the checkpoint) goes
on to the meta-judge stage with its pair.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.batching.tag import Mode, tagged
from engine.context import RunContext, StageStats
from engine.judges.base import JudgeInput
from engine.keys import judgment_key, with_adjustments
from engine.records import (
    Decision,
    JudgmentRecord,
    Order,
    PairRecord,
    ScoreRecord,
    failed,
    out_of_tokens,
    usage_fields,
)
from engine.scoring import score_record
from providers.base import ChatRequest, ProviderError

ORDERS: tuple[Order, Order] = ("AB", "BA")


async def judge_worker(
    ctx: RunContext,
    stats: StageStats,
    scored: StageStats,
    receive: MemoryObjectReceiveStream[PairRecord],
    meta: MemoryObjectSendStream[tuple[PairRecord, JudgmentRecord]] | None = None,
) -> None:
    async with receive:
        async for pair in receive:
            if ctx.stopping:
                continue
            made = await judge_pair(ctx, stats, pair)
            scored.done += 1
            if meta is not None:
                for record in made:
                    await meta.send((pair, record))
    if meta is not None:
        meta.close()


async def judge_pair(ctx: RunContext, stats: StageStats, pair: PairRecord) -> list[JudgmentRecord]:
    """Judge one pair; returns the judgments the meta-judge scores (those with a reply)."""
    todo = [name for name in ctx.judges if not ctx.store.has(ScoreRecord, (pair.pair_id, name))]
    decisions: dict[tuple[str, Order], Decision | Exception | None] = {}
    made: list[JudgmentRecord] = []
    meta_judged = ctx.meta.judges if ctx.meta is not None else frozenset()

    async def one(name: str, order: Order) -> None:
        result = await _judgment(ctx, stats, name, pair, order)
        if isinstance(result, JudgmentRecord):
            decisions[(name, order)] = result.decision
            if name in meta_judged and result.raw is not None:
                made.append(result)
        else:
            decisions[(name, order)] = result

    async with anyio.create_task_group() as tg:
        for name in todo:
            for order in ORDERS:
                tg.start_soon(one, name, order)
    # Judges already scored on this pair (a resume) still hand their judgments on.
    for name in meta_judged - set(todo):
        made += _recorded(ctx, name, pair)

    for name in todo:
        d_ab, d_ba = decisions[(name, "AB")], decisions[(name, "BA")]
        if isinstance(d_ab, Exception) or isinstance(d_ba, Exception):
            continue
        ctx.store.put(score_record(pair, name, d_ab, d_ba))
    return made


def _key(ctx: RunContext, name: str, pair: PairRecord, order: Order) -> str:
    judge, provider_name = ctx.judges[name].judge, ctx.judges[name].provider
    probe = ChatRequest(judge.spec.model, (), judge.options)  # what the model table sees
    fingerprint = with_adjustments(
        judge.fingerprint(), ctx.providers[provider_name].adjustments(probe)
    )
    return judgment_key(name, provider_name, fingerprint, pair.to_dict(), order)


def _recorded(ctx: RunContext, name: str, pair: PairRecord) -> list[JudgmentRecord]:
    """The judge's recorded judgments of the pair (with a reply), in both orders."""
    found = (ctx.store.get(JudgmentRecord, _key(ctx, name, pair, order)) for order in ORDERS)
    return [r for r in found if r is not None and r.raw is not None]


async def _judgment(
    ctx: RunContext, stats: StageStats, name: str, pair: PairRecord, order: Order
) -> JudgmentRecord | Exception:
    judge, provider_name = ctx.judges[name].judge, ctx.judges[name].provider
    key = _key(ctx, name, pair, order)
    cached = ctx.store.get(JudgmentRecord, key)
    if cached is not None:
        stats.done += 1
        stats.reused += 1
        return cached
    unsent = JudgmentRecord(
        request_key=key, pair_id=pair.pair_id, judge=name, order=order, raw=None, decision=None
    )
    try:
        with tagged(key, _mode(ctx, name)):  # a batch line's custom_id is the request key
            out = await judge.judge(JudgeInput.shown(pair, order), ctx.providers[provider_name])
    except ProviderError as exc:
        stats.failed += 1
        stats.done += 1
        ctx.counters.note_error(provider_name, exc)
        if exc.error_class != "stopped":
            ctx.store.put(failed(unsent, exc))
        return exc
    record = replace(
        unsent,
        raw=out.raw,
        decision=out.decision,
        usage=usage_fields(out.usage, out.cost, calls=out.calls),
        finish_reason=out.finish_reason,
        sent=dict(out.sent) or None,
        service_tier=out.service_tier,
    )
    ctx.store.put(record)
    if out_of_tokens(out.raw, out.finish_reason):
        ctx.counters.out_of_tokens[name] += 1
    stats.done += 1
    return record


def _mode(ctx: RunContext, name: str) -> Mode | None:
    """The judge's own `mode`, if it gives one (else its provider's)."""
    return next((j.mode for j in ctx.job.judges if j.name == name), None)
