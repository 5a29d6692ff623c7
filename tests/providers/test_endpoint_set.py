"""The endpoint set on its own: the balancing rule and the health state machine, on a fake
clock (no network: these are the decisions; test_endpoints.py has them over real HTTP)."""

from __future__ import annotations

import anyio
import pytest

from providers.config import EndpointHealth
from providers.endpoints import Endpoint, EndpointSet, EndpointSpec, Lease, shown_url

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _set(n: int, clock: Clock, **health: float) -> EndpointSet:
    specs = [EndpointSpec(f"http://h{i}") for i in range(n)]
    return EndpointSet(specs, EndpointHealth(**health), clock=clock)  # type: ignore[arg-type]


async def _take(pool: EndpointSet) -> Lease:
    with anyio.fail_after(1):
        return await pool.take()


def _fail(pool: EndpointSet, ep: Endpoint, n: int = 1) -> None:
    """`n` attempts on `ep` that failed (sent while it was in the rotation)."""
    for _ in range(n):
        pool.done(pool._start((ep, False)), "failed")


async def test_least_outstanding_wins_and_ties_rotate() -> None:
    pool = _set(3, Clock())
    first = [await _take(pool) for _ in range(3)]
    assert [ep.index for ep, _ in first] == [0, 1, 2]  # each has one outstanding now
    pool.done(first[1], "ok")
    assert (await _take(pool))[0].index == 1  # the one with nothing outstanding
    for lease in (first[0], first[2]):
        pool.done(lease, "ok")
    # 0 and 2 are idle, 1 has one outstanding; 0 and 2 have had one send each: 0 first.
    assert [(await _take(pool))[0].index for _ in range(2)] == [0, 2]


async def test_weights_share_sends_in_proportion() -> None:
    specs = [EndpointSpec("http://a", 1.0), EndpointSpec("http://b", 3.0)]
    pool = EndpointSet(specs, EndpointHealth(), clock=Clock())
    counts = [0, 0]
    for _ in range(400):
        lease = await _take(pool)
        counts[lease[0].index] += 1
        pool.done(lease, "ok")  # one at a time: the tie-break on sends per weight decides
    assert counts == [100, 300]


async def test_a_full_endpoint_is_skipped_and_a_waiter_wakes_when_a_slot_frees() -> None:
    specs = [EndpointSpec("http://a", max_concurrency=1), EndpointSpec("http://b", 1.0, 1)]
    pool = EndpointSet(specs, EndpointHealth(), clock=Clock())
    a, b = await _take(pool), await _take(pool)
    assert {a[0].index, b[0].index} == {0, 1}
    got: list[int] = []

    async def waiter() -> None:
        got.append((await pool.take())[0].index)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await anyio.sleep(0.05)
        assert got == []  # both are at their cap
        pool.done(b, "ok")
    assert got == [b[0].index]


async def test_consecutive_failures_eject_then_a_probe_readmits() -> None:
    clock = Clock()
    pool = _set(2, clock, eject_after=3, backoff=1.0, max_backoff=4.0)
    bad = pool.endpoints[0]
    _fail(pool, bad, 2)
    pool.done(pool._start((bad, False)), "ok")
    _fail(pool, bad, 2)
    assert bad.stats.state == "up"  # an answer in between resets the count
    _fail(pool, bad)
    assert bad.stats.state == "out" and bad.stats.ejections == 1
    assert not pool.others_up(pool.endpoints[1])  # the failed one is out
    assert pool.others_up(bad)
    # Out: every send goes to the other one, however loaded.
    held = [await _take(pool) for _ in range(5)]
    assert {ep.index for ep, _ in held} == {1}
    clock.now += 1.0
    probe = await _take(pool)
    assert probe == (bad, True) and bad.stats.state == "probing"
    assert (await _take(pool))[0].index == 1  # one probe at a time
    pool.done(probe, "failed")  # the probe failed: out for twice as long
    assert bad.stats.state == "out" and bad.backoff == 2.0
    clock.now += 1.9
    assert (await _take(pool))[0].index == 1
    clock.now += 0.1
    probe = await _take(pool)
    assert probe == (bad, True)
    pool.done(probe, "ok")
    assert bad.stats.state == "up" and bad.stats.readmissions == 1 and bad.backoff == 1.0
    assert bad.stats.ejections == 1  # one ejection, one failed probe
    assert bad.stats.errors == 6


async def test_a_call_sent_before_the_ejection_is_not_taken_for_the_probe() -> None:
    clock = Clock()
    pool = _set(2, clock, eject_after=2, backoff=1.0)
    bad = pool.endpoints[0]
    stale = pool._start((bad, False))  # in flight when the endpoint is ejected
    _fail(pool, bad, 2)
    clock.now += 1.0
    probe = await _take(pool)
    assert probe == (bad, True)
    pool.done(stale, "failed")  # an old failure says nothing about the probe
    assert bad.backoff == 1.0 and bad.probe_in_flight
    assert (await _take(pool))[0].index == 1  # still one probe at a time
    pool.done(probe, "ok")
    assert bad.stats.state == "up"


async def test_backoff_is_capped_and_neutral_outcomes_change_nothing() -> None:
    clock = Clock()
    pool = _set(2, clock, eject_after=1, backoff=1.0, max_backoff=3.0)
    bad = pool.endpoints[0]
    _fail(pool, bad)
    for _ in range(4):
        clock.now = bad.out_until
        probe = await _take(pool)
        assert probe == (bad, True)
        pool.done(probe, "failed")
    assert bad.backoff == 3.0
    clock.now = bad.out_until
    probe = await _take(pool)
    pool.done(probe, "neutral")  # cancelled: not a verdict on the server
    assert bad.stats.state == "probing" and bad.failures == 5
    assert (await _take(pool)) == (bad, True)  # the probe slot is free again


async def test_one_endpoint_is_never_ejected_and_all_out_still_sends() -> None:
    clock = Clock()
    single = _set(1, clock, eject_after=1)
    only = single.endpoints[0]
    for _ in range(5):
        single.done(await _take(single), "failed")
    assert not only.out and only.stats.state == "up"
    assert single.stats == []  # the provider's own counters are the one endpoint's
    pool = _set(2, clock, eject_after=1, backoff=10.0)
    for ep in pool.endpoints:
        _fail(pool, ep)
    assert [e.stats.state for e in pool.endpoints] == ["out", "out"]
    lease = await _take(pool)  # nowhere healthy: send anyway instead of stalling
    assert lease[1] is False
    pool.done(lease, "ok")
    assert lease[0].stats.state == "up"


async def test_failover_at_once_only_to_an_endpoint_that_last_answered() -> None:
    pool = _set(2, Clock(), eject_after=3)
    a, b = pool.endpoints
    assert pool.others_up(a)
    _fail(pool, b)  # b is still in the rotation, but its last attempt failed
    assert not pool.others_up(a)  # so a call failing on a waits its backoff: both may be down
    pool.done(pool._start((b, False)), "ok")
    assert pool.others_up(a)


def test_credentials_never_shown() -> None:
    assert shown_url("http://user:pw@h:8000/v1") == "http://h:8000/v1"
    assert shown_url("https://h/v1") == "https://h/v1"
    assert "pw" not in shown_url("http://user:pw@[::1")
