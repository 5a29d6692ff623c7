"""Symbolic equivalence of two LaTeX answers, in a small pool of persistent child processes.

sympy can run for minutes (or forever) on a hostile answer, so each comparison runs in
a child (`verifiers/math_worker.py`) that has sympy imported already; a child that
exceeds the time limit is killed and a fresh one takes its place on the next request.

API::

    equivalent(a, b, timeout=5.0) -> EquivResult   # blocking; thread-safe
    default_pool() -> EquivPool                     # shared, shut down at exit
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
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO

WORKER = Path(__file__).with_name("math_worker.py")
START_TIMEOUT = 60.0  # importing sympy on a busy 2-core machine can take a few seconds
CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class EquivResult:
    """`equal` is None when either side could not be parsed or the check timed out."""

    equal: bool | None
    detail: str


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

    def ask(self, a: str, b: str, timeout: float) -> EquivResult | None:
        """The reply, or None when the worker overran `timeout` or died (then kill it)."""
        try:
            self.stdin.write(json.dumps({"a": a, "b": b}) + "\n")
            self.stdin.flush()
            reply = self._read(timeout)
        except (OSError, ValueError):
            reply = None
        if reply is None:
            return None
        eq = reply.get("equal")
        return EquivResult(eq if isinstance(eq, bool) else None, str(reply.get("detail", "")))

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

    def check(self, a: str, b: str, timeout: float = 5.0) -> EquivResult:
        """Compare two LaTeX strings; never raises for bad input."""
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
            # Not cached: a timeout may depend on load; the answer stays unverified.
            if died:
                return EquivResult(None, "sympy worker died (memory limit?)")
            with self._lock:
                self.timeouts += 1
            return EquivResult(None, f"sympy took longer than {timeout:g}s")
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


def equivalent(a: str, b: str, timeout: float = 5.0) -> EquivResult:
    return default_pool().check(a, b, timeout)
