"""First stage: stream questions (or published pairs) from files into the graph.

Loaders are blocking generators; they are advanced in a worker thread a batch at a time
so file reading never blocks the event loop and nothing holds a whole dataset. How far each
input has been read goes to the run's `Reading`, from which the totals are estimated
(engine.stages.totals), so no source is read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from engine.context import RunContext, StageStats
from engine.jobspec import PairFileSpec
from engine.records import PairRecord
from engine.stages.items import QItem
from engine.stages.streams import put
from engine.stages.totals import InputRead, Reading, set_totals
from verifiers import registry
from verifiers.base import Question
from verifiers.pair_files import load_pairs
from verifiers.seen_keys import SeenKeys

T = TypeVar("T")
U = TypeVar("U")
BATCH = 64


def _take(it: Iterator[T], n: int) -> list[T]:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out


async def _intake(
    ctx: RunContext,
    stats: Mapping[str, StageStats],
    send: MemoryObjectSendStream[U],
    inputs: Iterator[tuple[Iterator[T], Callable[[T], U]]],
    reading: Reading,
) -> None:
    """Send every input's items, each converted, in order; once all are read (the run was
    not stopped), the stage totals are exact."""
    load = stats["load"]
    async with send:
        for (items, convert), read in zip(inputs, reading.inputs, strict=True):
            while not ctx.stopping:
                batch = await anyio.to_thread.run_sync(_take, items, BATCH)
                if not batch:
                    read.finished = True
                    break
                read.kept += len(batch)
                for x in batch:
                    if ctx.stopping:
                        break
                    await put(send, convert(x))
                    load.done += 1
        if not ctx.stopping:
            reading.finished = True
            set_totals(ctx.job, stats, load.done, len(ctx.judges))


def _reading(ctx: RunContext, reading: Reading | None) -> Reading:
    return reading if reading is not None else Reading.of(ctx.job, ctx.limit)


async def questions(
    ctx: RunContext,
    stats: Mapping[str, StageStats],
    send: MemoryObjectSendStream[QItem],
    reading: Reading | None = None,
) -> None:
    reading = _reading(ctx, reading)
    # Question ids are unique across every source of the run: a repeated one is a
    # malformed record naming both places (answers would be checked against the wrong
    # ground truth otherwise).
    seen = SeenKeys()

    def inputs() -> Iterator[tuple[Iterator[Question], Callable[[Question], QItem]]]:
        for i, (spec, read) in enumerate(zip(ctx.job.sources, reading.inputs, strict=True)):
            items = registry.load(
                spec.format,
                ctx.loaded.source_path(spec),
                limit=read.limit,
                on_error=spec.on_error,
                report=ctx.counters.report_skipped,
                seen=seen,
                on_empty=lambda msg, i=i: ctx.counters.warn(f"sources.{i}: {msg}"),
                progress=read.progress,
                **ctx.loaded.source_options(spec),
            )
            yield items, partial(QItem, fmt=spec.format)

    await _intake(ctx, stats, send, inputs(), reading)


def pair_items(ctx: RunContext, spec: PairFileSpec, read: InputRead) -> Iterator[dict[str, Any]]:
    """The pairs of one `pairs:` entry: its file, or its Hugging Face dataset; how far it
    has been read goes to `read`."""
    return load_pairs(
        ctx.loaded.resolve(spec.path) if spec.path else Path("unused"),
        spec.format,
        seed=ctx.job.seed,
        limit=read.limit,
        on_error=spec.on_error,
        report=ctx.counters.report_skipped,
        hf_dataset=None
        if spec.path or not spec.hf_dataset
        else ctx.loaded.hf_dataset(spec.hf_dataset),
        hf_split=spec.hf_split,
        hf_config=spec.hf_config,
        progress=read.progress,
    )


async def published_pairs(
    ctx: RunContext,
    stats: Mapping[str, StageStats],
    send: MemoryObjectSendStream[PairRecord],
    reading: Reading | None = None,
) -> None:
    reading = _reading(ctx, reading)

    def record(d: dict[str, Any]) -> PairRecord:
        pair = PairRecord.from_dict(d)
        if not ctx.store.has(PairRecord, pair.pair_id):
            ctx.store.put(pair)
        return pair

    def inputs() -> Iterator[
        tuple[Iterator[dict[str, Any]], Callable[[dict[str, Any]], PairRecord]]
    ]:
        for spec, read in zip(ctx.job.pairs, reading.inputs, strict=True):
            yield pair_items(ctx, spec, read), record

    await _intake(ctx, stats, send, inputs(), reading)
