"""A pool of sandbox slots, one per core: callers from any thread share it.

Each slot has its own uid, so the process-count limit of one program cannot starve
another running beside it, and "kill every process of this uid" hits one program only.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence

from verifiers.sandbox.outcome import DEFAULT_LIMITS, Limits, Mode, RunResult, TestOutcome
from verifiers.sandbox.probe import Capabilities
from verifiers.sandbox.runner import Zygote, run_in_sandbox

# Unused system uids (no passwd entry needed); slot n runs as UID_BASE + n.
UID_BASE = 61000


def core_count() -> int:
    return len(os.sched_getaffinity(0)) or 1


class SandboxPool:
    """Runs at most `size` programs at once; `run` blocks until a slot is free."""

    def __init__(
        self, size: int | None = None, uid_base: int = UID_BASE, caps: Capabilities | None = None
    ) -> None:
        self.size = size or core_count()
        self.caps = caps
        self._slots: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(self.size):
            self._slots.put(slot)
        self._uid_base = uid_base
        # One warm zygote per slot: a program starts with a fork, not a fresh interpreter.
        self._zygotes = [Zygote() for _ in range(self.size)]

    def run(
        self,
        code: str,
        inputs: Sequence[str],
        *,
        mode: Mode = "stdin",
        func_name: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
        check: Callable[[TestOutcome], bool] | None = None,
    ) -> RunResult:
        slot = self._slots.get()
        try:
            return run_in_sandbox(
                code,
                inputs,
                mode=mode,
                func_name=func_name,
                limits=limits,
                uid=self._uid_base + slot,
                check=check,
                caps=self.caps,
                zygote=self._zygotes[slot],
            )
        finally:
            self._slots.put(slot)

    def close(self) -> None:
        """Stop the zygotes (they also exit by themselves when this process ends)."""
        for _ in range(self.size):
            self._slots.get()  # wait until nobody uses it
        for zygote in self._zygotes:
            zygote.close()
        for slot in range(self.size):
            self._slots.put(slot)


_default: SandboxPool | None = None
_lock = threading.Lock()


def default_pool() -> SandboxPool:
    """The process-wide pool every verifier shares, sized to the cores we may use."""
    global _default
    with _lock:
        if _default is None:
            _default = SandboxPool()
        return _default


def run_program(
    code: str,
    inputs: Sequence[str],
    *,
    mode: Mode = "stdin",
    func_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    check: Callable[[TestOutcome], bool] | None = None,
) -> RunResult:
    """Run `code` on each input in the shared pool (blocking, thread-safe)."""
    return default_pool().run(
        code, inputs, mode=mode, func_name=func_name, limits=limits, check=check
    )
