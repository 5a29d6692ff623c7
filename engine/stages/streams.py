"""Sending and receiving between stages without a trip round the event loop when the
stream can take or give an item at once.

anyio's `send` and `receive` start with a checkpoint (they yield to the event loop even when
they need not wait); on the judge stage's path that was a loop iteration per pair and per
hand-off. These try the `*_nowait` form first and wait only when they must; cancellation is
still seen at the waits, and at the stage's own awaits on every call.
"""

from __future__ import annotations

from typing import TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

T = TypeVar("T")


async def put(send: MemoryObjectSendStream[T], item: T) -> None:
    """`send.send(item)`, without the checkpoint when the buffer has room or a receiver
    waits."""
    try:
        send.send_nowait(item)
    except anyio.WouldBlock:
        await send.send(item)


async def take(receive: MemoryObjectReceiveStream[T]) -> T:
    """`receive.receive()`, without the checkpoint when an item is waiting. Raises
    `anyio.EndOfStream` when every sender has closed and nothing is left."""
    try:
        return receive.receive_nowait()
    except anyio.WouldBlock:
        return await receive.receive()
