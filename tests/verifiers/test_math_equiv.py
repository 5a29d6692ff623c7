"""The sympy child-process pool: answers, time limits, replacement, threads, shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from verifiers.math_equiv import EquivPool

CORES = os.cpu_count() or 2


@pytest.fixture
def pool() -> Iterator[EquivPool]:
    p = EquivPool(workers=2)
    yield p
    p.shutdown()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); its state says whether it runs
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_equal_unequal_and_unparseable(pool: EquivPool) -> None:
    assert pool.check("\\frac{1}{2}x", "x/2").equal is True
    assert pool.check("\\sin^2 x + \\cos^2 x", "1").equal is True
    assert pool.check("x^2", "x").equal is False
    bad = pool.check("\\frac{", "x")
    assert bad.equal is None
    assert "could not parse the key" in bad.detail


def test_a_hostile_answer_is_killed_and_its_worker_replaced(pool: EquivPool) -> None:
    pool.check("1", "1")  # a worker is up
    pids_before = {w.proc.pid for w in list(pool._idle.queue)}
    start = time.monotonic()
    res = pool.check("9^{9^{9}}", "1", timeout=1.0)  # a 370-million-digit integer
    assert time.monotonic() - start < 10
    assert res.equal is None
    assert "longer than 1s" in res.detail
    assert pool.timeouts == 1
    assert not any(_alive(pid) for pid in pids_before - {w.proc.pid for w in pool._idle.queue})
    # The pool carries on with a fresh child.
    assert pool.check("2", "1+1").equal is True


def test_threads_share_the_pool(pool: EquivPool) -> None:
    pairs = [(f"{n}x + x", f"{n + 1}x") for n in range(12)] + [("x+1", "x")] * 4
    with ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda p: pool.check(*p).equal, pairs))
    assert results == [True] * 12 + [False] * 4
    assert pool.spawned <= 2


def test_waiting_threads_get_a_fresh_child_when_busy_ones_are_killed() -> None:
    # One child, three threads with hostile input: each overrun frees the slot for the next.
    p = EquivPool(workers=1)
    try:
        with ThreadPoolExecutor(max_workers=3) as ex:
            results = list(ex.map(lambda n: p.check(f"9^{{9^{{{9 + n}}}}}", "1", 0.5), range(3)))
        assert [r.equal for r in results] == [None, None, None]
        assert p.timeouts == 3
        assert p.spawned == 3
        assert p.check("x+x", "2x").equal is True
    finally:
        p.shutdown()


def test_a_child_exits_when_its_parent_dies(tmp_path: Path) -> None:
    # A parent starts a pool, prints its child's pid, sets the child computing (10^7)!
    # (minutes of work) and is killed with -9: the busy child must not outlive it.
    script = (
        "from verifiers.math_equiv import EquivPool\n"
        "p = EquivPool(1); p.check('1', '2')\n"
        "print(p._idle.queue[0].proc.pid, flush=True)\n"
        "p.check('(10^{7})!', '1', timeout=120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    time.sleep(0.5)  # let the request reach the child
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_shutdown_kills_the_children() -> None:
    p = EquivPool(workers=1)
    p.check("1", "1")
    pids = [w.proc.pid for w in list(p._idle.queue)]
    assert pids and all(map(_alive, pids))
    p.shutdown()
    assert not any(map(_alive, pids))
    with pytest.raises(RuntimeError):
        p.check("3", "2+1")  # not cached: needs a worker


def test_the_limit_is_cpu_time_so_a_busy_machine_gives_the_same_verdict() -> None:
    """A comparison that needs C CPU seconds, under a limit of 2C, whose worker is held off
    the CPU mid-check (SIGSTOP, then SIGCONT: what a busy machine does to it, made exact) so
    that its wall time exceeds the limit. A wall-clock limit timed it out and froze
    "unverifiable"; the CPU-time limit does not, so the verdict is the quiet one."""
    import signal
    import threading

    p = EquivPool(workers=1)
    try:
        # A long answer: parsing it is a second or so of CPU, as for the long AMPS_Hard
        # answers that timed out. The child keeps what it parsed, so the held-off run gets
        # another sum of the same length.
        def long_sum(shift: int) -> str:
            return " + ".join(f"\\frac{{{i + shift}}}{{x+{i}}}" for i in range(1, 11))

        p.check(long_sum(100), "x", timeout=60)  # warm: lazy imports and caches paid
        quiet = p.check(long_sum(0), "x", timeout=60)
        assert quiet.status == "different"
        limit = max(2 * quiet.cpu_s, 0.5)
        (child,) = [w.proc.pid for w in list(p._idle.queue)]

        def hold_off() -> None:
            time.sleep(0.1)
            os.kill(child, signal.SIGSTOP)
            time.sleep(limit + 0.5)
            os.kill(child, signal.SIGCONT)

        holder = threading.Thread(target=hold_off)
        start = time.monotonic()
        holder.start()
        busy = p.check(long_sum(1), "x", timeout=limit)
        wall = time.monotonic() - start
        holder.join()
        assert (busy.status, busy.equal) == (quiet.status, quiet.equal), busy
        assert busy.cpu_s <= limit
        assert wall > limit
    finally:
        p.shutdown()
