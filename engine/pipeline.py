"""The streaming task graph of one run.

    intake ─► generate ×N ─► verify ×M ─► pair ─► judge ×P      (start: sources)
    intake ────────────────────────────────────► judge ×P      (start: pairs)

Stages are joined by bounded memory object streams, so a slow stage back-pressures the
ones before it and memory stays flat whatever the dataset size. Each worker owns a
clone of its streams; a stage's output closes when its last worker finishes, which is
how the end of the data flows through the graph.

The graph registers every stage's counters here, once, in flow order, and hands each
stage its own; beside the stages it runs the count that gives the progress view its
totals (engine.stages.totals), cancelled when the stages are done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from engine.context import RunContext
from engine.records import PairRecord
from engine.stages.generate import generate_worker
from engine.stages.intake import published_pairs, questions
from engine.stages.items import Answers, QItem
from engine.stages.judge import judge_worker
from engine.stages.pair import pair_worker
from engine.stages.totals import count_totals
from engine.stages.verify import default_verify_workers, verify_worker

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


def _pool(
    tg: TaskGroup,
    n: int,
    worker: Callable[..., Awaitable[None]],
    *args: Any,
    receive: MemoryObjectReceiveStream[Any],
    send: MemoryObjectSendStream[Any] | None = None,
) -> None:
    """Start `n` workers on clones of the streams, then close the originals."""
    for _ in range(n):
        streams = (receive.clone(),) if send is None else (receive.clone(), send.clone())
        tg.start_soon(worker, *args, *streams)
    receive.close()
    if send is not None:
        send.close()


async def run_graph(ctx: RunContext) -> None:
    job = ctx.job
    conc = job.concurrency
    start = "pairs" if job.start == "pairs" else "sources"  # `responses:` starts at sources
    stats = {name: ctx.counters.register(name, unit) for name, unit in STAGES[start]}
    async with anyio.create_task_group() as outer:
        counting = anyio.CancelScope()
        outer.start_soon(count_totals, ctx, stats, counting)
        async with anyio.create_task_group() as tg:
            pairs_send, pairs_recv = anyio.create_memory_object_stream[PairRecord](conc.judge)
            if start == "pairs":
                tg.start_soon(published_pairs, ctx, stats, pairs_send)
            else:
                verify_n = conc.verify or default_verify_workers()
                q_send, q_recv = anyio.create_memory_object_stream[QItem](conc.generate)
                a_send, a_recv = anyio.create_memory_object_stream[Answers](verify_n)
                c_send, c_recv = anyio.create_memory_object_stream[Answers](verify_n)
                tg.start_soon(questions, ctx, stats, q_send)
                gen = stats["generate"]
                _pool(tg, conc.generate, generate_worker, ctx, gen, receive=q_recv, send=a_send)
                limiter = anyio.CapacityLimiter(verify_n)
                vstats = stats["verify"]
                _pool(
                    tg, verify_n, verify_worker, ctx, vstats, limiter, receive=a_recv, send=c_send
                )
                _pool(tg, 1, pair_worker, ctx, stats, receive=c_recv, send=pairs_send)
            workers = conc.judge if ctx.judges else 1
            _pool(
                tg, workers, judge_worker, ctx, stats["judge"], stats["score"], receive=pairs_recv
            )
        counting.cancel()  # every item has been through: an unfinished count is moot
