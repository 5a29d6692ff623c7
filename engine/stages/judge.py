"""Judge stage: every judge sees every pair twice, (A,B) and (B,A), all calls concurrent.

A worker makes the 2 × judges calls of a pair one after another, and the stage runs that many
workers for each pair `concurrency.judge` keeps in flight, so as many calls are in flight as
if each pair's calls ran side by side, without a task group per pair. A judge whose two
orders both succeeded gets its score record. Errors are recorded but are never
decisions: no score is written, and a resume sends the failed call again. With a
meta-judge, every judgment of the judges it scores (new, or found in the checkpoint) goes
on to the meta-judge stage with its pair.

A pair × judge counts as done only when its score and both judgments it was made from are
in the run store: a score whose judgment was lost (say, to a power cut) is judged again
and written anew. An order-free judge (a reward model) pays for each answer once, not per
pair and order (engine.stages.answer_scores); its judgments are made from those scores.
"""

from __future__ import annotations

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.batching.tag import tagged
from engine.context import RunContext, StageStats
from engine.judges.base import JudgeInput, JudgeOutput, OrderFreeJudge, concurrently
from engine.keys import JudgmentKeys, with_adjustments
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
from engine.stages.answer_scores import AnswerScores, Side
from engine.stages.streams import put, take
from providers.base import ChatRequest, ProviderError

ORDERS: tuple[Order, Order] = ("AB", "BA")


def calls_per_pair(ctx: RunContext) -> int:
    """A pair's calls when nothing is reused: each judge in both orders."""
    return len(ORDERS) * max(1, len(ctx.judges))


async def judge_worker(
    ctx: RunContext,
    stats: StageStats,
    scored: StageStats,
    scores: AnswerScores,
    receive: MemoryObjectReceiveStream[PairRecord],
    meta: MemoryObjectSendStream[tuple[PairRecord, JudgmentRecord]] | None = None,
) -> None:
    async with receive:
        while True:
            try:
                pair = await take(receive)
            except anyio.EndOfStream:
                break
            if ctx.stopping:
                continue
            made = await judge_pair(ctx, stats, scores, pair)
            scored.done += 1
            if meta is not None:
                for record in made:
                    await put(meta, (pair, record))
    if meta is not None:
        meta.close()


def keys_of(ctx: RunContext, name: str) -> JudgmentKeys:
    """Judge `name`'s key maker, made once a run: its fingerprint and what the model table
    changes in its requests stay the same for the whole run."""
    keyer = ctx.judge_keys.get(name)
    if keyer is None:
        slot = ctx.judges[name]
        probe = ChatRequest(slot.judge.spec.model, (), slot.judge.options)  # as the table sees
        adjusted = ctx.providers[slot.provider].adjustments(probe)
        fingerprint = with_adjustments(slot.judge.fingerprint(), adjusted)
        keyer = ctx.judge_keys[name] = JudgmentKeys(name, slot.provider, fingerprint)
    return keyer


def judgment_keys(ctx: RunContext, name: str, part: bytes) -> dict[Order, str]:
    """The request keys of judge `name`'s two judgments of a pair (`engine.keys.judgment_key`),
    from the pair's `JudgmentKeys.pair_part`."""
    keyer = keys_of(ctx, name)
    return {o: keyer.key(part, o) for o in ORDERS}


async def judge_pair(
    ctx: RunContext, stats: StageStats, scores: AnswerScores, pair: PairRecord
) -> list[JudgmentRecord]:
    """Judge one pair; returns the judgments the meta-judge scores (those with a reply)."""
    part = JudgmentKeys.pair_part(pair.pair_id, pair.question, pair.response_A, pair.response_B)
    keys = {name: judgment_keys(ctx, name, part) for name in ctx.judges}
    todo = []
    for name, by_order in keys.items():
        if ctx.store.has(ScoreRecord, (pair.pair_id, name)) and all(
            ctx.store.has(JudgmentRecord, k) for k in by_order.values()
        ):
            stats.done += len(ORDERS)
            stats.reused += len(ORDERS)
        else:
            todo.append(name)
    decisions: dict[tuple[str, Order], Decision | Exception | None] = {}
    made: list[JudgmentRecord] = []
    meta_judged = ctx.meta.judges if ctx.meta is not None else frozenset()

    async def one(name: str, order: Order) -> None:
        result = await _judgment(ctx, stats, scores, name, pair, order, keys[name][order])
        if isinstance(result, JudgmentRecord):
            decisions[(name, order)] = result.decision
            if name in meta_judged and result.raw is not None:
                made.append(result)
        else:
            decisions[(name, order)] = result

    # One call after another: the stage runs `calls_per_pair` workers per pair it keeps in
    # flight (engine.pipeline), so as many calls are in flight as if a pair's calls ran side
    # by side, with no task group and tasks to make for every pair.
    for name in todo:
        for order in ORDERS:
            await one(name, order)
    # Judges already scored on this pair (a resume) still hand their judgments on.
    for name in meta_judged - set(todo):
        found = (ctx.store.get(JudgmentRecord, k) for k in keys[name].values())
        made += [r for r in found if r is not None and r.raw is not None]

    for name in todo:
        d_ab, d_ba = decisions[(name, "AB")], decisions[(name, "BA")]
        if isinstance(d_ab, Exception) or isinstance(d_ba, Exception):
            continue
        ctx.store.put(score_record(pair, name, d_ab, d_ba))
    return made


async def _judgment(
    ctx: RunContext,
    stats: StageStats,
    scores: AnswerScores,
    name: str,
    pair: PairRecord,
    order: Order,
    key: str,
) -> JudgmentRecord | Exception:
    judge, provider_name = ctx.judges[name].judge, ctx.judges[name].provider
    provider = ctx.providers[provider_name]
    cached = ctx.store.get(JudgmentRecord, key)
    if cached is not None:
        stats.done += 1
        stats.reused += 1
        return cached
    asked = True
    try:
        # The judge's own `mode`, if it gives one (else its provider's); a batch line's
        # custom_id is the request key.
        with tagged(key, ctx.judge_modes[name]):
            if isinstance(judge, OrderFreeJudge):
                out, asked = await _from_answer_scores(judge, scores, name, pair, order)
            else:
                out = await judge.judge(JudgeInput.shown(pair, order), provider)
    except ProviderError as exc:
        stats.failed += 1
        stats.done += 1
        ctx.counters.note_error(provider_name, exc)
        if exc.error_class != "stopped":
            unsent = JudgmentRecord(
                request_key=key,
                pair_id=pair.pair_id,
                judge=name,
                order=order,
                raw=None,
                decision=None,
                provider=provider_name,
                model=judge.spec.model,
            )
            ctx.store.put(failed(unsent, exc))
        return exc
    # Built field by field: dataclasses.replace costs twice as much on the hot path.
    record = JudgmentRecord(
        request_key=key,
        pair_id=pair.pair_id,
        judge=name,
        order=order,
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
    stats.reused += not asked
    return record


async def _from_answer_scores(
    judge: OrderFreeJudge, scores: AnswerScores, name: str, pair: PairRecord, order: Order
) -> tuple[JudgeOutput, bool]:
    """An order-free judge's judgment in one order, made of the two answers' scores. It
    carries no usage: each score's own record does (answer_scores.jsonl)."""
    first: Side = "A" if order == "AB" else "B"
    second: Side = "B" if order == "AB" else "A"
    (s1, sent1), (s2, sent2) = await concurrently(
        [lambda: scores.score(name, pair, first), lambda: scores.score(name, pair, second)]
    )
    out = JudgeOutput(judge.decide(s1, s2), raw=judge.raw_of(s1, s2), calls=0)
    return out, sent1 or sent2
