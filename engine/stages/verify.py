"""Verify stage: every answer checked against ground truth, off the event loop.

Verifiers are blocking functions; they run in worker threads bounded by a capacity
limiter (sympy and code verifiers start their own child processes underneath).
A verdict already in the checkpoint is reused.
"""

from __future__ import annotations

import os

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext
from engine.records import VerdictRecord
from engine.stages.items import Answer, Answered, Checked
from verifiers.base import Question, Verdict
from verifiers.registry import verifier_for


def default_verify_workers() -> int:
    return max(2, os.cpu_count() or 2)


async def verify_worker(
    ctx: RunContext,
    limiter: anyio.CapacityLimiter,
    receive: MemoryObjectReceiveStream[Answered],
    send: MemoryObjectSendStream[Checked],
) -> None:
    ctx.stage("verify", "answers")
    async with receive, send:
        async for bundle in receive:
            if ctx.stopping:
                continue
            verdicts = await _verify_all(ctx, limiter, bundle)
            pairs = tuple((a, v) for a, v in zip(bundle.answers, verdicts, strict=True) if v)
            await send.send(Checked(bundle.item, pairs))


async def _verify_all(
    ctx: RunContext, limiter: anyio.CapacityLimiter, bundle: Answered
) -> list[Verdict | None]:
    """Fan out the k answers of one question, join when all are checked."""
    stats = ctx.stages["verify"]
    verdicts: list[Verdict | None] = [None] * len(bundle.answers)

    async def one(n: int, answer: Answer) -> None:
        verdicts[n] = await _verdict(ctx, limiter, bundle.item.question, answer)
        stats.done += 1

    async with anyio.create_task_group() as tg:
        for n, answer in enumerate(bundle.answers):
            tg.start_soon(one, n, answer)
    return verdicts


async def _verdict(
    ctx: RunContext, limiter: anyio.CapacityLimiter, q: Question, answer: Answer
) -> Verdict:
    cached = ctx.store.get(VerdictRecord, answer.response_key)
    if cached is not None:
        ctx.stages["verify"].reused += 1
        return Verdict(cached.correct, cached.score, cached.extracted, cached.reason)
    verify, _kind = verifier_for(q.task)
    try:
        verdict = await anyio.to_thread.run_sync(verify, q, answer.text, limiter=limiter)
    except Exception as exc:  # a verifier bug must not kill the run; it is an unverifiable answer
        verdict = Verdict(None, 0.0, None, f"verifier error: {type(exc).__name__}: {exc}")
    ctx.store.put(
        VerdictRecord(
            response_key=answer.response_key,
            question_id=q.id,
            source=q.source,
            task=q.task,
            correct=verdict.correct,
            score=verdict.score,
            extracted=verdict.extracted,
            reason=verdict.reason,
        )
    )
    return verdict
