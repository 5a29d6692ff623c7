"""First stage: stream questions (or published pairs) from files into the graph.

Loaders are blocking generators; they are advanced in a worker thread a batch at a time
so file reading never blocks the event loop and nothing holds a whole dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from engine.context import RunContext
from engine.records import PairRecord
from engine.stages.items import QItem
from verifiers import registry
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


def _effective_limit(spec_limit: int | None, run_limit: int | None) -> int | None:
    limits = [x for x in (spec_limit, run_limit) if x is not None]
    return min(limits) if limits else None


async def _pump(ctx: RunContext, it: Iterator[T], emit: Callable[[T], Any]) -> None:
    while not ctx.stopping:
        batch = await anyio.to_thread.run_sync(_take, it, BATCH)
        if not batch:
            return
        for x in batch:
            if ctx.stopping:
                return
            await emit(x)


async def questions(ctx: RunContext, send: MemoryObjectSendStream[QItem]) -> None:
    stats = ctx.stage("load", "questions")
    async with send:
        for spec in ctx.job.sources:

            async def emit(q: Any, fmt: str = spec.format) -> None:
                await send.send(QItem(q, fmt))
                stats.done += 1

            it = registry.load(
                spec.format,
                ctx.loaded.source_path(spec),
                limit=_effective_limit(spec.limit, ctx.limit),
                on_error=spec.on_error,
                report=ctx.report_skipped,
                **spec.options,
            )
            await _pump(ctx, it, emit)


async def published_pairs(ctx: RunContext, send: MemoryObjectSendStream[PairRecord]) -> None:
    stats = ctx.stage("load", "pairs")
    async with send:
        for spec in ctx.job.pairs:

            async def emit(d: dict[str, Any]) -> None:
                pair = PairRecord.from_dict(d)
                if not ctx.store.has(PairRecord, pair.pair_id):
                    ctx.store.put(pair)
                await send.send(pair)
                stats.done += 1

            it = load_pairs(
                ctx.loaded.resolve(spec.path),
                spec.format,
                seed=ctx.job.seed,
                limit=_effective_limit(spec.limit, ctx.limit),
                on_error=spec.on_error,
                report=ctx.report_skipped,
            )
            await _pump(ctx, it, emit)
