"""Stage totals, for the progress view's ETA.

How many items a run will read is counted once, beside the run: from the raw records the
loaders keep (their filters and limits applied; no question built, no private tests
decoded), in batches in a worker thread, so the event loop never waits on it; the graph
cancels it when the stages are done. Hugging Face datasets are not streamed a second time:
their totals stay unknown until intake has read them. When intake finishes, the totals
become exact (the count also counts lines the loader then finds malformed). The judge
stage's total is known once pairing is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import anyio

from engine.context import RunContext, StageStats
from engine.jobspec import Job, effective_limit
from verifiers import registry
from verifiers.pair_files import pair_reader
from verifiers.records_io import wanted_records

COUNT_BATCH = 2048


def _consume(it: Iterator[Any], n: int) -> int:
    """Advance `it` by up to `n` items (holding none of them); return how many there were."""
    done = 0
    for _ in it:
        done += 1
        if done >= n:
            break
    return done


async def _count(it: Iterator[Any]) -> int:
    total = 0
    while step := await anyio.to_thread.run_sync(_consume, it, COUNT_BATCH):
        total += step
    return total


def _streams(ctx: RunContext) -> list[Iterator[Any]] | None:
    """The raw records each input of the job would yield, or None if one cannot be counted."""
    job, loaded = ctx.job, ctx.loaded
    if job.start == "pairs":
        if any(spec.path is None for spec in job.pairs):
            return None  # a Hugging Face dataset: not streamed twice
        return [
            wanted_records(
                pair_reader(spec.format, job.seed),
                loaded.resolve(str(spec.path)),
                effective_limit(spec.limit, ctx.limit),
            )
            for spec in job.pairs
        ]
    streams = []
    for spec in job.sources:
        it = registry.loader(spec.format).wanted(
            loaded.source_path(spec),
            limit=effective_limit(spec.limit, ctx.limit),
            **loaded.source_options(spec),
        )
        if it is None:
            return None
        streams.append(it)
    return streams


async def count_totals(
    ctx: RunContext, stats: Mapping[str, StageStats], scope: anyio.CancelScope
) -> None:
    with scope:
        try:
            streams = _streams(ctx)
            if streams is None:
                return
            n = 0
            for it in streams:
                n += await _count(it)
        except Exception:  # an estimate only: intake reports a bad input itself
            return
        if stats["load"].total is None:  # intake has not finished first
            set_totals(ctx.job, stats, n, len(ctx.judges))


def set_totals(job: Job, stats: Mapping[str, StageStats], n: int, judges: int) -> None:
    """Totals of every stage that follows from `n` items read."""
    stats["load"].total = n
    if job.start == "pairs":
        pairs_known(stats, n, judges, len(job.meta_judged()))
        return
    samples = (job.response_model.samples if job.response_model else 0) + sum(
        s.samples for s in job.solvers
    )
    stats["generate"].total = n * samples
    stats["verify"].total = n * samples
    stats["pair"].total = n


def pairs_known(
    stats: Mapping[str, StageStats], pairs: int, judges: int, meta_judged: int = 0
) -> None:
    stats["score"].total = pairs
    stats["judge"].total = pairs * 2 * judges
    if "meta_judge" in stats:  # at most: a failed judgment is not meta-judged
        stats["meta_judge"].total = pairs * 2 * meta_judged
