"""Stage totals, for the progress view's ETA, without reading any source twice.

Each input of the job (a source, or a pair file) is estimated from how far intake has read
it: the items intake kept so far over the share of the file read (bytes of JSON Lines,
records of a JSON array or parquet file; `verifiers.records_io.ReadProgress`), so the
estimate follows the loaders' filters and converges as intake goes. Before intake reaches
an input, its head is sampled (at most HEAD_RECORDS kept records or HEAD_BYTES of file,
raw records only: no question built, no private tests decoded); an input the sample reads
to its end is counted exactly, which is every small file. Hugging Face datasets are not
streamed a second time: their totals stay unknown until intake has read them. When intake
finishes, the totals are exact (engine.stages.intake). The judge stage's total is known
once pairing is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from engine.context import RunContext, StageStats
from engine.jobspec import Job, effective_limit
from verifiers import registry
from verifiers.pair_files import pair_reader
from verifiers.records_io import ReadProgress, wanted_records

HEAD_RECORDS = 2048
HEAD_BYTES = 4 << 20
REFRESH_S = 1.0


@dataclass
class InputRead:
    """One input as intake reads it: its loader's progress and the items kept so far."""

    limit: int | None = None
    progress: ReadProgress = field(default_factory=ReadProgress)
    kept: int = 0
    finished: bool = False
    head: int | None = None  # the head sample's estimate
    counted: bool = False  # ... which read the whole input: a count, not an estimate

    def estimate(self) -> int | None:
        if self.finished:
            return self.kept
        if self.counted:
            return self.head
        frac = self.progress.fraction
        if frac:
            guess = max(self.kept, round(self.kept / frac))
            return guess if self.limit is None else min(self.limit, guess)
        return self.head


@dataclass
class Reading:
    """Intake's reading of every input of a run, shared with the estimate of the totals."""

    inputs: list[InputRead]
    finished: bool = False  # intake is done: the totals it set are exact

    @classmethod
    def of(cls, job: Job, run_limit: int | None) -> Reading:
        specs = job.pairs if job.start == "pairs" else job.sources
        return cls([InputRead(effective_limit(s.limit, run_limit)) for s in specs])

    def estimate(self) -> int | None:
        total = 0
        for inp in self.inputs:
            n = inp.estimate()
            if n is None:
                return None
            total += n
        return total


def _head(inp: InputRead, it: Iterator[Any], progress: ReadProgress) -> None:
    """Estimate an input from its head; count it when the head is all of it."""
    n = 0
    for _ in it:
        n += 1
        if n >= HEAD_RECORDS or (progress.unit == "bytes" and progress.done >= HEAD_BYTES):
            frac = progress.fraction
            if frac:
                guess = max(n, round(n / frac))
                inp.head = guess if inp.limit is None else min(inp.limit, guess)
            return
    inp.head, inp.counted = n, True


def _streams(ctx: RunContext) -> list[tuple[Iterator[Any], ReadProgress]] | None:
    """The raw records each input of the job would yield, or None if one cannot be read
    without streaming it a second time."""
    job, loaded = ctx.job, ctx.loaded
    out = []
    if job.start == "pairs":
        if any(spec.path is None for spec in job.pairs):
            return None  # a Hugging Face dataset: not streamed twice
        for pairs in job.pairs:
            p = ReadProgress()
            limit = effective_limit(pairs.limit, ctx.limit)
            it = wanted_records(
                pair_reader(pairs.format, job.seed), loaded.resolve(str(pairs.path)), limit, p
            )
            out.append((it, p))
        return out
    for spec in job.sources:
        p = ReadProgress()
        limit = effective_limit(spec.limit, ctx.limit)
        wanted = registry.loader(spec.format).wanted(
            loaded.source_path(spec), limit=limit, progress=p, **loaded.source_options(spec)
        )
        if wanted is None:
            return None
        out.append((wanted, p))
    return out


def _heads(ctx: RunContext, reading: Reading) -> bool:
    """Sample every input's head (blocking); False when some input cannot be sampled."""
    streams = _streams(ctx)
    if streams is None:
        return False
    for inp, (it, progress) in zip(reading.inputs, streams, strict=True):
        _head(inp, it, progress)
    return True


async def count_totals(
    ctx: RunContext,
    stats: Mapping[str, StageStats],
    scope: anyio.CancelScope,
    reading: Reading | None = None,
) -> None:
    """Keep the stage totals estimated until intake sets them exactly (or the graph
    cancels `scope`). Without intake's `reading`, the head samples alone are used."""
    live = reading is not None
    reading = reading if reading is not None else Reading.of(ctx.job, ctx.limit)
    with scope:
        try:
            if not await anyio.to_thread.run_sync(_heads, ctx, reading):
                return
        except Exception:  # an estimate only: intake reports a bad input itself
            return
        while not reading.finished:
            n = reading.estimate()
            if n is not None:
                set_totals(ctx.job, stats, n, len(ctx.judges))
            if not live or all(inp.finished or inp.counted for inp in reading.inputs):
                return  # nothing left to refine
            await anyio.sleep(REFRESH_S)


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
