"""Generate stage: k answers per question from the response model (and any solvers).

The k samples of a question are fanned out in one task group and joined before the
question moves on. A sample whose request key is already in the checkpoint is reused,
not sent; where the provider returns several samples a call (OpenAI/vLLM `n`, Gemini
`candidateCount`), the missing ones are asked for in one call. If any sample fails, the
question is held back (not verified or paired) so that a resume, which retries the
failure, gives the same pairs as an unbroken run.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.batching.tag import tagged
from engine.context import RunContext, StageStats
from engine.jobspec import ModelRef
from engine.keys import request_key
from engine.records import ResponseRecord, failed, out_of_tokens, usage_fields
from engine.requests import answer_request
from engine.stages.items import Answer, Answers, QItem
from providers.base import ChatRequest, ChatResponse, Provider, ProviderError


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
    results: list[list[Answer | None]] = [[None] * ref.samples for ref, _ in refs]

    async with anyio.create_task_group() as tg:
        for n, (ref, paired) in enumerate(refs):
            tg.start_soon(_samples, ctx, stats, item, ref, paired, results[n])
    answers = [a for per_ref in results for a in per_ref]
    if any(a is None for a in answers):
        return None
    return (*imported, *(a for a in answers if a is not None))


async def _samples(
    ctx: RunContext,
    stats: StageStats,
    item: QItem,
    ref: ModelRef,
    paired: bool,
    out: list[Answer | None],
) -> None:
    """The k samples of one model: reused where recorded; the missing ones one call each, or
    (where the provider returns several samples a call) one call for all of them. Each
    sample keeps its own request key either way, so a resume asks for exactly what is
    missing."""
    provider = ctx.providers[ref.provider]
    requests = [_request(ctx, item, ref, i) for i in range(ref.samples)]
    keys = [
        request_key(ref.provider, req, i, provider.adjustments(req))
        for i, req in enumerate(requests)
    ]
    missing = []
    for i, key in enumerate(keys):
        cached = ctx.store.get(ResponseRecord, key)
        if cached is not None and cached.text is not None:
            stats.reused += 1
            stats.done += 1
            out[i] = Answer(cached, paired)
        else:
            missing.append(i)
    unsent = [_unsent(item, ref, i, keys[i]) for i in range(ref.samples)]
    with tagged(None, ref.mode):
        per_call = provider.choices_per_call(ref.model)
    if per_call > 1 and len(missing) > 1:
        shared = _request(ctx, item, ref, None)  # no per-sample seed: one request for all
        for start in range(0, len(missing), per_call):
            batch = missing[start : start + per_call]
            await _ask_many(ctx, stats, provider, shared, [unsent[i] for i in batch], paired, out)
        return

    async def one(i: int) -> None:
        with tagged(keys[i], ref.mode):  # a batch line's custom_id is the request key
            out[i] = await _ask(ctx, stats, provider, requests[i], unsent[i], paired)

    async with anyio.create_task_group() as tg:
        for i in missing:
            tg.start_soon(one, i)


def _request(ctx: RunContext, item: QItem, ref: ModelRef, sample: int | None) -> ChatRequest:
    """The request of one sample, or (None) the one all samples of a batched call share."""
    q = item.question
    return answer_request(
        ref,
        q.prompt,
        item.fmt,
        q.task,
        ctx.loaded.base_dir,
        job_seed=ctx.job.seed,
        sample_index=sample,
    )


def _unsent(item: QItem, ref: ModelRef, sample: int, key: str) -> ResponseRecord:
    q = item.question
    return ResponseRecord(
        request_key=key,
        question_id=q.id,
        source=q.source,
        sample_index=sample,
        provider=ref.provider,
        model=ref.model,
        text=None,
    )


def _answered(unsent: ResponseRecord, response: ChatResponse) -> ResponseRecord:
    return replace(
        unsent,
        text=response.text,
        finish_reason=response.finish_reason,
        usage=usage_fields(response.usage, response.cost),
        sent=dict(response.sent) or None,
        service_tier=response.service_tier,
    )


def _failed(
    ctx: RunContext, stats: StageStats, records: list[ResponseRecord], exc: ProviderError
) -> None:
    stats.failed += len(records)
    stats.done += len(records)
    ctx.counters.note_error(records[0].provider, exc)
    if exc.error_class != "stopped":  # nothing was sent: nothing to record
        for rec in records:
            ctx.store.put(failed(rec, exc))


def _keep(ctx: RunContext, stats: StageStats, record: ResponseRecord, paired: bool) -> Answer:
    ctx.store.put(record)
    stats.done += 1
    if out_of_tokens(record.text, record.finish_reason):
        ctx.counters.out_of_tokens[record.model] += 1
    return Answer(record, paired, fresh=True)


async def _ask(
    ctx: RunContext,
    stats: StageStats,
    provider: Provider,
    request: ChatRequest,
    unsent: ResponseRecord,
    paired: bool,
) -> Answer | None:
    try:
        response = await provider.chat(request)
    except ProviderError as exc:
        _failed(ctx, stats, [unsent], exc)
        return None
    return _keep(ctx, stats, _answered(unsent, response), paired)


async def _ask_many(
    ctx: RunContext,
    stats: StageStats,
    provider: Provider,
    shared: ChatRequest,
    unsent: list[ResponseRecord],
    paired: bool,
    out: list[Answer | None],
) -> None:
    """One call for several samples (`n` / `candidateCount`)."""
    try:
        responses = await provider.chat_many(shared, len(unsent))
    except ProviderError as exc:
        _failed(ctx, stats, unsent, exc)
        return
    for rec, response in zip(unsent, responses, strict=False):
        out[rec.sample_index] = _keep(ctx, stats, _answered(rec, response), paired)
    short = unsent[len(responses) :]
    if short:  # fewer came back than asked (some filtered): asked again on resume
        _failed(ctx, stats, short, ProviderError("empty", "the call returned fewer samples"))


def _imported_answers(ctx: RunContext, item: QItem, stats: StageStats) -> list[Answer]:
    assert ctx.imported is not None
    answers = []
    for rec in ctx.imported.answers_for(item.question.id):
        if not ctx.store.has(ResponseRecord, rec.request_key):
            ctx.store.put(rec)  # this run's records stay self-contained
        # Each answer keeps its model: only the response model's answers are paired.
        answers.append(Answer(rec, paired=ctx.imported.paired(rec)))
    stats.reused += len(answers)
    stats.done += len(answers)
    return answers
