"""engine.stages.streams: hand-offs between stages that skip anyio's checkpoint when the
stream can act at once, and wait (as send/receive do) when it cannot."""

from __future__ import annotations

import anyio
import pytest

from engine.stages.streams import put, take


@pytest.mark.anyio
async def test_put_and_take_do_not_yield_when_they_need_not_wait() -> None:
    send, receive = anyio.create_memory_object_stream[int](2)
    with anyio.CancelScope() as scope:
        scope.cancel()
        # A checkpoint inside a cancelled scope raises; these must not reach one.
        await put(send, 1)
        await put(send, 2)
        assert await take(receive) == 1
        assert await take(receive) == 2
    assert not scope.cancelled_caught
    # The anyio forms do checkpoint, so the test above would see the difference.
    with anyio.CancelScope() as scope:
        scope.cancel()
        await send.send(3)
    assert scope.cancelled_caught


@pytest.mark.anyio
async def test_they_wait_when_they_must_and_end_with_the_stream() -> None:
    send, receive = anyio.create_memory_object_stream[int](0)  # no buffer: put must wait
    got: list[int] = []

    async def consumer() -> None:
        with receive:
            while True:
                try:
                    got.append(await take(receive))
                except anyio.EndOfStream:
                    return

    async with anyio.create_task_group() as tg:
        tg.start_soon(consumer)
        with send:
            for i in range(5):
                await put(send, i)
    assert got == [0, 1, 2, 3, 4]
    with pytest.raises(anyio.ClosedResourceError):
        await take(receive)
