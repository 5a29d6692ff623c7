"""The streaming task graph of one run.

    intake ─► generate ×N ─► verify ×M ─► pair ─► judge ×P [─► meta-judge ×P]   (sources)
    intake ────────────────────────────────────► judge ×P [─► meta-judge ×P]   (pairs)

Stages are joined by bounded memory object streams, so a slow stage back-pressures the
ones before it and memory stays flat whatever the dataset size. Each worker owns a
clone of its streams; a stage's output closes when its last worker finishes, which is
how the end of the data flows through the graph. The verify stage's checks go to the
run's backend (engine.verify_backend: this process, or a Ray cluster), started before
the graph and stopped after it.

The graph registers every stage's counters here, once, in flow order, and hands each
stage its own; beside the stages it runs the estimate that gives the progress view its
totals (engine.stages.totals, from how far intake has read), cancelled when the stages
are done.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream as Receive
from anyio.streams.memory import MemoryObjectSendStream as Send

from engine.context import RunContext
from engine.records import PairRecord
from engine.stages.answer_scores import AnswerScores
from engine.stages.generate import generate_worker
from engine.stages.intake import published_pairs, questions
from engine.stages.items import Answers, QItem
from engine.stages.judge import calls_per_pair, judge_worker
from engine.stages.meta_judge import MetaItem, meta_worker
from engine.stages.pair import pair_worker
from engine.stages.totals import Reading, count_totals
from engine.stages.verify import default_verify_workers, verify_worker
from engine.verify_backend import Backend, LocalBackend, open_backend

T = TypeVar("T")
U = TypeVar("U")

# (stage, unit) in flow order, for each place a run can start.
STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "sources": (
        ("load", "questions"),
        ("generate", "answers"),
        ("verify", "answers"),
        ("pair", "questions"),
        ("judge", "calls"),
        ("score", "pairs"),
    ),
    "pairs": (("load", "pairs"), ("judge", "calls"), ("score", "pairs")),
}
# The optional stage after judging (a job with `meta_judge`).
META_STAGE = ("meta_judge", "judgments")


def _pool(
    tg: TaskGroup,
    n: int,
    work: Callable[[Receive[T], Send[U]], Coroutine[Any, Any, None]],
    receive: Receive[T],
    send: Send[U],
) -> None:
    """Start `n` workers on clones of the streams, then close the originals."""
    for _ in range(n):
        tg.start_soon(work, receive.clone(), send.clone())
    receive.close()
    send.close()


async def run_graph(ctx: RunContext) -> None:
    if ctx.job.start == "pairs":  # nothing is verified
        await _graph(ctx, LocalBackend(1))
        return
    async with open_backend(ctx.job, default_verify_workers()) as backend:
        await _graph(ctx, backend)


async def _graph(ctx: RunContext, backend: Backend) -> None:
    job = ctx.job
    conc = job.concurrency
    start = "pairs" if job.start == "pairs" else "sources"  # `responses:` starts at sources
    flow = STAGES[start] + ((META_STAGE,) if ctx.meta is not None else ())
    stats = {name: ctx.counters.register(name, unit) for name, unit in flow}
    reading = Reading.of(job, ctx.limit)  # intake's progress, which the totals follow
    async with anyio.create_task_group() as outer:
        counting = anyio.CancelScope()
        outer.start_soon(count_totals, ctx, stats, counting, reading)
        async with anyio.create_task_group() as tg:
            pairs_send, pairs_recv = anyio.create_memory_object_stream[PairRecord](conc.judge)
            if start == "pairs":
                tg.start_soon(published_pairs, ctx, stats, pairs_send, reading)
            else:
                verify_n = backend.workers
                q_send, q_recv = anyio.create_memory_object_stream[QItem](conc.generate)
                a_send, a_recv = anyio.create_memory_object_stream[Answers](verify_n)
                c_send, c_recv = anyio.create_memory_object_stream[Answers](verify_n)
                tg.start_soon(questions, ctx, stats, q_send, reading)
                gen, check = stats["generate"], stats["verify"]
                _pool(
                    tg, conc.generate, lambda r, s: generate_worker(ctx, gen, r, s), q_recv, a_send
                )
                _pool(
                    tg,
                    verify_n,
                    lambda r, s: verify_worker(ctx, check, backend, r, s),
                    a_recv,
                    c_send,
                )
                _pool(tg, 1, lambda r, s: pair_worker(ctx, stats, r, s), c_recv, pairs_send)
            scores = AnswerScores(ctx)  # order-free judges' answer scores, shared by all
            meta_send, meta_recv = anyio.create_memory_object_stream[MetaItem](conc.judge)
            # `concurrency.judge` pairs' worth of calls in flight, one call per worker.
            for _ in range(conc.judge * calls_per_pair(ctx) if ctx.judges else 1):
                tg.start_soon(
                    judge_worker,
                    ctx,
                    stats["judge"],
                    stats["score"],
                    scores,
                    pairs_recv.clone(),
                    meta_send.clone() if ctx.meta is not None else None,
                )
            pairs_recv.close()
            meta_send.close()
            if ctx.meta is not None:
                for _ in range(conc.judge):
                    tg.start_soon(meta_worker, ctx, stats[META_STAGE[0]], meta_recv.clone())
            meta_recv.close()
        counting.cancel()  # every item has been through: an unfinished count is moot
