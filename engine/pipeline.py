"""The streaming task graph of one run.

    intake ─► generate ×N ─► verify ×M ─► pair ─► judge ×P      (start: sources)
    intake ────────────────────────────────────► judge ×P      (start: pairs)

Stages are joined by bounded memory object streams, so a slow stage back-pressures the
ones before it and memory stays flat whatever the dataset size. Each worker owns a
clone of its streams; a stage's output closes when its last worker finishes, which is
how the end of the data flows through the graph.
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
from engine.stages.verify import default_verify_workers, verify_worker


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
        if send is None:
            tg.start_soon(worker, *args, receive.clone())
        else:
            tg.start_soon(worker, *args, receive.clone(), send.clone())
    receive.close()
    if send is not None:
        send.close()


async def run_graph(ctx: RunContext) -> None:
    job = ctx.job
    conc = job.concurrency
    for name, unit in (("load", "items"), ("judge", "calls"), ("score", "pairs")):
        ctx.stage(name, unit)
    async with anyio.create_task_group() as tg:
        pairs_send, pairs_recv = anyio.create_memory_object_stream[PairRecord](conc.judge)
        if job.start == "pairs":
            tg.start_soon(published_pairs, ctx, pairs_send)
        else:
            for name, unit in (
                ("generate", "answers"),
                ("verify", "answers"),
                ("pair", "questions"),
            ):
                ctx.stage(name, unit)
            verify_n = conc.verify or default_verify_workers()
            q_send, q_recv = anyio.create_memory_object_stream[QItem](conc.generate)
            a_send, a_recv = anyio.create_memory_object_stream[Answers](verify_n)
            c_send, c_recv = anyio.create_memory_object_stream[Answers](verify_n)
            tg.start_soon(questions, ctx, q_send)
            _pool(tg, conc.generate, generate_worker, ctx, receive=q_recv, send=a_send)
            limiter = anyio.CapacityLimiter(verify_n)
            _pool(tg, verify_n, verify_worker, ctx, limiter, receive=a_recv, send=c_send)
            _pool(tg, 1, pair_worker, ctx, receive=c_recv, send=pairs_send)
        _pool(tg, conc.judge if ctx.judges else 1, judge_worker, ctx, receive=pairs_recv)
