"""Symbolic equivalence of two LaTeX answers, in a small pool of persistent child processes.

sympy can run for minutes (or forever) on a hostile answer, so each comparison runs in
a child (`verifiers/math_worker.py`) that has sympy imported already; a child that
exceeds its limit is killed and a fresh one takes its place on the next request.

The limit is CPU time the child spends on the comparison, read from the kernel
(``/proc/<pid>/stat``), not wall-clock time: on a busy machine a child gets fewer CPU
seconds per wall second, and a wall-clock limit then turned answers that take a few
seconds of sympy into "timed out" while a quiet machine verified them. The same
comparison costs about the same CPU time however busy the machine is, so it gets the same
verdict. A wall-clock cap (`WALL_FACTOR` times the CPU limit) still ends a child that is
starved or stuck; that result, like a CPU overrun, is a `timeout` (not a verdict on the
answer: a run retries it on resume).

API::

    equivalent(a, b, timeout=CPU_LIMIT) -> EquivResult   # blocking; thread-safe
    default_pool() -> EquivPool                          # shared, shut down at exit
    EquivPool(workers=2).check(a, b, timeout) / .shutdown()
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

WORKER = Path(__file__).with_name("math_worker.py")
START_TIMEOUT = 60.0  # importing sympy on a busy 2-core machine can take a few seconds
CACHE_SIZE = 4096
# CPU seconds one comparison may use. The slowest LiveBench AMPS_Hard answers of the
# published pairs take about 7 s (most of it the lark parse of a long key); hostile input
# (a tower of powers, a huge factorial) runs far beyond any limit, so a generous one costs
# nothing on real answers.
CPU_LIMIT = 30.0
WALL_FACTOR = 10.0  # wall-clock cap = this x the CPU limit (a starved or stuck child)
POLL_S = 0.1  # how often a waiting check reads the child's CPU time
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

EquivStatus = Literal[
    "equal", "different", "key_unparsed", "answer_unparsed", "timeout", "died", "error"
]


@dataclass(frozen=True, slots=True)
class EquivResult:
    """What one comparison found. `status` is the typed outcome; `detail` is for people."""

    status: EquivStatus
    detail: str
    cpu_s: float = 0.0  # CPU time the child spent on this comparison

    @property
    def equal(self) -> bool | None:
        """True / False, or None when nothing was decided (a side unparsed, time, a crash)."""
        if self.status == "equal":
            return True
        return False if self.status == "different" else None


class _Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # Ctrl-C on the terminal goes to the engine, not here
        )
        if self._read(START_TIMEOUT) is None:
            self.kill()
            raise RuntimeError("math worker did not start")

    @property
    def stdin(self) -> IO[str]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def _read(self, timeout: float) -> dict[str, object] | None:
        out = self.proc.stdout
        assert out is not None
        ready, _, _ = select.select([out], [], [], timeout)
        if not ready:
            return None
        line = out.readline()
        return json.loads(line) if line else None

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the child has used so far; None where /proc is absent."""
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return None
        # Fields after the command name (which may hold spaces) start at the last ')'.
        fields = stat[stat.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICK

    def ask(self, a: str, b: str, cpu_limit: float) -> EquivResult | None:
        """The reply, or None when the worker overran its limit or died (then kill it)."""
        start_cpu, start = self.cpu_seconds(), time.monotonic()
        wall_cap = WALL_FACTOR * cpu_limit
        try:
            self.stdin.write(json.dumps({"a": a, "b": b}) + "\n")
            self.stdin.flush()
            while True:
                elapsed = time.monotonic() - start
                reply = self._read(min(POLL_S, max(0.0, wall_cap - elapsed)))
                if reply is not None or self.proc.poll() is not None:
                    break
                now_cpu = self.cpu_seconds()
                # Without /proc, wall-clock time stands in for CPU time.
                used = elapsed if start_cpu is None or now_cpu is None else now_cpu - start_cpu
                if used > cpu_limit or elapsed >= wall_cap:
                    break
        except (OSError, ValueError):
            reply = None
        if reply is None:
            return None
        status = reply.get("status")
        if status not in ("equal", "different", "key_unparsed", "answer_unparsed"):
            status = "error"
        end_cpu = self.cpu_seconds()
        used = end_cpu - start_cpu if end_cpu is not None and start_cpu is not None else 0.0
        return EquivResult(status, str(reply.get("detail", "")), used)  # type: ignore[arg-type]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()


class EquivPool:
    """At most `workers` children; each serves one thread at a time.

    A semaphore holds one slot per child, so a thread waiting for a child is woken
    whether the busy one comes back or is killed (its slot then starts a fresh child).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.max_workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._slots = threading.BoundedSemaphore(self.max_workers)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._cache: OrderedDict[tuple[str, str], EquivResult] = OrderedDict()
        self.spawned = 0  # children started, replacements included
        self.timeouts = 0  # children killed for overrunning

    def _acquire(self) -> _Worker:
        if self._closed:
            raise RuntimeError("pool is shut down")
        self._slots.acquire()
        try:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                with self._lock:
                    self.spawned += 1
                return _Worker()
        except BaseException:
            self._slots.release()
            raise

    def _release(self, worker: _Worker | None) -> None:
        """Give a healthy child back (None: it was killed; its slot is free for a new one)."""
        if worker is not None:
            if self._closed:
                worker.kill()
            else:
                self._idle.put(worker)
        self._slots.release()

    def check(self, a: str, b: str, timeout: float = CPU_LIMIT) -> EquivResult:
        """Compare two LaTeX strings (`a` the key, `b` the answer) within `timeout` CPU
        seconds; never raises for bad input."""
        key = (a, b)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        worker = self._acquire()
        result = worker.ask(a, b, timeout)
        if result is None:
            died = worker.proc.poll() is not None
            worker.kill()
            self._release(None)
            # Not cached: the answer stays unverified, and a later run checks it again.
            if died:
                return EquivResult("died", "sympy worker died (memory limit?)")
            with self._lock:
                self.timeouts += 1
            return EquivResult("timeout", f"sympy took longer than {timeout:g}s of CPU time")
        self._release(worker)
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def shutdown(self) -> None:
        """Kill every idle child; busy ones are killed when their check returns."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break


_default: EquivPool | None = None
_default_lock = threading.Lock()


def default_pool() -> EquivPool:
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = EquivPool()
            atexit.register(_default.shutdown)
        return _default


def equivalent(a: str, b: str, timeout: float = CPU_LIMIT) -> EquivResult:
    return default_pool().check(a, b, timeout)
