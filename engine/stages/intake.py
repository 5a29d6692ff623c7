"""First stage: stream questions (or published pairs) from files into the graph.

Loaders are blocking generators; they are advanced in a worker thread a batch at a time
so file reading never blocks the event loop and nothing holds a whole dataset.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from engine.context import RunContext, StageStats
from engine.jobspec import effective_limit
from engine.records import PairRecord
from engine.stages.items import QItem
from engine.stages.totals import set_totals
from verifiers import registry
from verifiers.base import Question
from verifiers.pair_files import load_pairs

T = TypeVar("T")
BATCH = 64


def _take(it: Iterator[T], n: int) -> list[T]:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out


async def _pump(ctx: RunContext, it: Iterator[T], emit: Callable[[T], Awaitable[None]]) -> None:
    while not ctx.stopping:
        batch = await anyio.to_thread.run_sync(_take, it, BATCH)
        if not batch:
            return
        for x in batch:
            if ctx.stopping:
                return
            await emit(x)


async def questions(
    ctx: RunContext, stats: Mapping[str, StageStats], send: MemoryObjectSendStream[QItem]
) -> None:
    load = stats["load"]
    async with send:
        for spec in ctx.job.sources:

            async def emit(q: Question, fmt: str = spec.format) -> None:
                await send.send(QItem(q, fmt))
                load.done += 1

            it = registry.load(
                spec.format,
                ctx.loaded.source_path(spec),
                limit=effective_limit(spec.limit, ctx.limit),
                on_error=spec.on_error,
                report=ctx.counters.report_skipped,
                **spec.options,
            )
            await _pump(ctx, it, emit)
        if not ctx.stopping:  # everything is read: the totals are exact now
            set_totals(ctx.job, stats, load.done, len(ctx.judges))


async def published_pairs(
    ctx: RunContext, stats: Mapping[str, StageStats], send: MemoryObjectSendStream[PairRecord]
) -> None:
    load = stats["load"]
    async with send:
        for spec in ctx.job.pairs:

            async def emit(d: dict[str, Any]) -> None:
                pair = PairRecord.from_dict(d)
                if not ctx.store.has(PairRecord, pair.pair_id):
                    ctx.store.put(pair)
                await send.send(pair)
                load.done += 1

            it = load_pairs(
                ctx.loaded.resolve(spec.path),
                spec.format,
                seed=ctx.job.seed,
                limit=effective_limit(spec.limit, ctx.limit),
                on_error=spec.on_error,
                report=ctx.counters.report_skipped,
            )
            await _pump(ctx, it, emit)
        if not ctx.stopping:
            set_totals(ctx.job, stats, load.done, len(ctx.judges))
