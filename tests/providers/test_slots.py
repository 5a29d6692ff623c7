"""providers.slots: the cap on calls in flight, its order, and cancellation at every point.

No clock is involved: each test moves the event loop on with `sleep(0)` and checks who
holds a slot, so the result does not depend on how busy the machine is.
"""

from __future__ import annotations

import asyncio

import pytest

from providers.slots import Slots

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Slots uses asyncio futures, as aiohttp does


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_free_slots_are_taken_without_waiting() -> None:
    slots = Slots(2)
    assert slots.take_nowait() and slots.take_nowait()
    assert not slots.take_nowait()
    assert slots.free == 0
    slots.release()
    assert slots.free == 1
    with pytest.raises(ValueError, match="at least one"):
        Slots(0)


async def test_at_most_total_hold_at_once_and_waiters_go_in_arrival_order() -> None:
    slots = Slots(2)
    holding: list[int] = []
    order: list[int] = []
    gates = {i: asyncio.Event() for i in range(6)}
    most = 0

    async def call(i: int) -> None:
        nonlocal most
        if not slots.take_nowait():
            await slots.take()
        try:
            holding.append(i)
            order.append(i)
            most = max(most, len(holding))
            await gates[i].wait()
        finally:
            holding.remove(i)
            slots.release()

    async with asyncio.TaskGroup() as tg:
        for i in range(6):
            tg.create_task(call(i))
            await asyncio.sleep(0)  # each starts in turn: arrival order is 0..5
        await _settle()
        assert holding == [0, 1] and slots.waiting == 4
        for i in range(6):
            gates[i].set()
            await _settle()
    assert order == [0, 1, 2, 3, 4, 5]
    assert most == 2
    assert slots.free == 2 and slots.waiting == 0


async def test_a_free_slot_is_not_taken_ahead_of_a_waiter() -> None:
    slots = Slots(1)
    assert slots.take_nowait()
    waiter = asyncio.ensure_future(slots.take())
    await _settle()
    slots.release()  # handed to the waiter, not put back
    assert slots.free == 0
    assert not slots.take_nowait()  # a newcomer does not jump the queue
    await waiter
    slots.release()
    assert slots.free == 1


async def test_cancelled_while_waiting_holds_nothing() -> None:
    slots = Slots(1)
    assert slots.take_nowait()
    first = asyncio.ensure_future(slots.take())
    second = asyncio.ensure_future(slots.take())
    await _settle()
    first.cancel()
    await _settle()
    assert first.cancelled() and slots.waiting == 1
    slots.release()  # goes to the second waiter, past the cancelled one
    await asyncio.wait_for(second, 1)
    assert slots.free == 0
    slots.release()
    assert slots.free == 1 and slots.waiting == 0


async def test_cancelled_just_after_the_handover_passes_the_slot_on() -> None:
    slots = Slots(1)
    assert slots.take_nowait()
    first = asyncio.ensure_future(slots.take())
    second = asyncio.ensure_future(slots.take())
    await _settle()
    slots.release()  # the slot is handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    await _settle()
    assert first.cancelled()
    await asyncio.wait_for(second, 1)  # so `second` got it
    assert slots.free == 0
    slots.release()
    assert slots.free == 1 and slots.waiting == 0


async def test_a_waiter_released_past_before_its_cancellation_runs() -> None:
    slots = Slots(1)
    assert slots.take_nowait()
    first = asyncio.ensure_future(slots.take())
    await _settle()
    first.cancel()  # its future is cancelled now; its except clause runs later
    slots.release()  # passes over the cancelled future and frees the slot
    await _settle()
    assert first.cancelled()
    assert slots.free == 1 and slots.waiting == 0
