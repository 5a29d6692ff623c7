"""Generate stage: k answers per question from the response model (and any solvers).

The k samples of a question are fanned out in one task group and joined before the
question moves on. A sample whose request key is already in the checkpoint is reused,
not sent. If any sample fails, the question is held back (not verified or paired) so
that a resume, which retries the failure, gives the same pairs as an unbroken run.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext, StageStats
from engine.jobspec import ModelRef
from engine.keys import request_key
from engine.records import ResponseRecord, failed, usage_fields
from engine.requests import answer_request
from engine.stages.items import Answer, Answers, QItem
from providers.base import ProviderError


async def generate_worker(
    ctx: RunContext,
    stats: StageStats,
    receive: MemoryObjectReceiveStream[QItem],
    send: MemoryObjectSendStream[Answers],
) -> None:
    async with receive, send:
        async for item in receive:
            if ctx.stopping:
                continue  # intake stopped: leave it for the resume
            answers = await _answer_all(ctx, item, stats)
            if answers is None:
                ctx.counters.incomplete_questions += 1
                continue
            await send.send(Answers(item, answers))


async def _answer_all(ctx: RunContext, item: QItem, stats: StageStats) -> tuple[Answer, ...] | None:
    refs: list[tuple[ModelRef, bool]] = []
    imported: list[Answer] = []
    if ctx.imported is not None:
        imported = _imported_answers(ctx, item, stats)
        if not imported:
            return None  # no earlier answers for this question: nothing to pair
    elif ctx.job.response_model is not None:
        refs.append((ctx.job.response_model, True))
    refs += [(s, False) for s in ctx.job.solvers]
    slots = [(ref, paired, i) for ref, paired in refs for i in range(ref.samples)]
    results: list[Answer | None] = [None] * len(slots)

    async def one(n: int, ref: ModelRef, paired: bool, sample: int) -> None:
        results[n] = await _answer(ctx, stats, item, ref, paired, sample)
        stats.done += 1

    async with anyio.create_task_group() as tg:
        for n, (ref, paired, sample) in enumerate(slots):
            tg.start_soon(one, n, ref, paired, sample)
    if any(r is None for r in results):
        return None
    return (*imported, *(r for r in results if r is not None))


def _imported_answers(ctx: RunContext, item: QItem, stats: StageStats) -> list[Answer]:
    assert ctx.imported is not None
    answers = []
    for rec in ctx.imported.answers_for(item.question.id):
        if not ctx.store.has(ResponseRecord, rec.request_key):
            ctx.store.put(rec)  # this run's records stay self-contained
        answers.append(Answer(rec, paired=True))
    stats.reused += len(answers)
    stats.done += len(answers)
    return answers


async def _answer(
    ctx: RunContext, stats: StageStats, item: QItem, ref: ModelRef, paired: bool, sample: int
) -> Answer | None:
    q = item.question
    request = answer_request(
        ref,
        q.prompt,
        item.fmt,
        q.task,
        ctx.loaded.base_dir,
        job_seed=ctx.job.seed,
        sample_index=sample,
    )
    key = request_key(ref.provider, request, sample)
    cached = ctx.store.get(ResponseRecord, key)
    if cached is not None and cached.text is not None:
        stats.reused += 1
        return Answer(cached, paired)
    unsent = ResponseRecord(
        request_key=key,
        question_id=q.id,
        source=q.source,
        sample_index=sample,
        provider=ref.provider,
        model=ref.model,
        text=None,
    )
    try:
        response = await ctx.providers[ref.provider].chat(request)
    except ProviderError as exc:
        stats.failed += 1
        ctx.counters.note_error(ref.provider, exc)
        if exc.error_class != "stopped":  # nothing was sent: nothing to record
            ctx.store.put(failed(unsent, exc))
        return None
    record = replace(
        unsent,
        text=response.text,
        finish_reason=response.finish_reason,
        usage=usage_fields(response.usage, response.cost),
    )
    ctx.store.put(record)
    return Answer(record, paired)
