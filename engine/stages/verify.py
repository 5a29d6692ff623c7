"""Verify stage: every answer checked against ground truth, off the event loop.

Verifiers are blocking functions; they run in worker threads bounded by a capacity
limiter (sympy and code verifiers start their own child processes underneath).
A final verdict already in the checkpoint is reused for an answer read back from it; one
whose check timed out or failed (`Verdict.final` is False) is checked again, so a busy
moment is never frozen into a run.
"""

from __future__ import annotations

import os
from dataclasses import replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext, StageStats
from engine.records import VerdictRecord
from engine.stages.items import Answer, Answers
from verifiers.base import Question, Verdict
from verifiers.registry import verifier_for


def default_verify_workers() -> int:
    return max(2, os.cpu_count() or 2)


async def verify_worker(
    ctx: RunContext,
    stats: StageStats,
    limiter: anyio.CapacityLimiter,
    receive: MemoryObjectReceiveStream[Answers],
    send: MemoryObjectSendStream[Answers],
) -> None:
    async with receive, send:
        async for bundle in receive:
            if ctx.stopping:
                continue
            await send.send(await _verify_all(ctx, stats, limiter, bundle))


async def _verify_all(
    ctx: RunContext, stats: StageStats, limiter: anyio.CapacityLimiter, bundle: Answers
) -> Answers:
    """Fan out the k answers of one question, join when all are checked."""
    checked: list[Answer] = list(bundle.answers)

    async def one(n: int, answer: Answer) -> None:
        verdict = await _verdict(ctx, stats, limiter, bundle.item.question, answer)
        checked[n] = replace(answer, verdict=verdict)
        stats.done += 1

    async with anyio.create_task_group() as tg:
        for n, answer in enumerate(bundle.answers):
            tg.start_soon(one, n, answer)
    return Answers(bundle.item, tuple(checked))


async def _verdict(
    ctx: RunContext, stats: StageStats, limiter: anyio.CapacityLimiter, q: Question, answer: Answer
) -> Verdict:
    # A fresh answer is checked anew: a verdict stored under its key was made from the
    # answer that was lost, and a model need not say the same thing twice.
    cached = None if answer.fresh else ctx.store.get(VerdictRecord, answer.key)
    if cached is not None and cached.verdict().final:
        stats.reused += 1
        return cached.verdict()
    verify = verifier_for(q.task)
    try:
        verdict = await anyio.to_thread.run_sync(verify, q, answer.text, limiter=limiter)
    except Exception as exc:  # a verifier bug must not kill the run; it is an unverifiable answer
        why = f"verifier error: {type(exc).__name__}: {exc}"
        verdict = Verdict(None, 0.0, None, why, "error")
    ctx.store.put(VerdictRecord.of(answer.key, q, verdict))
    return verdict
