"""What a sandboxed run is given (limits) and what comes back (outcomes), as plain records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["stdin", "functional"]
Status = Literal["ok", "runtime_error", "timeout", "memory_limit", "output_limit", "killed"]
# Which limit ended a test: the reason a verdict names.
LimitKind = Literal["cpu", "wall", "memory", "output"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-program resource limits; every test of a program gets them afresh."""

    timeout_s: float = 6.0  # per test: CPU time (whole seconds, rounded up) and wall clock
    wall_s: float | None = None  # a different wall-clock limit, if given
    memory_mb: int = 2048  # everything the program holds (see docs/sandbox.md)
    max_output_bytes: int = 8 << 20
    fsize_bytes: int = 16 << 20
    nofile: int = 64
    nproc: int = 64  # processes + threads
    tmpfs_mb: int = 64  # /tmp and the work folder together
    tmpfs_inodes: int = 4096
    stop_on_error: bool = True


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """What one test run produced; `stdout`/`result` are set only when status is ok."""

    __test__ = False  # not a pytest class, despite the name

    index: int
    status: Status
    wall_s: float
    stdout: str | None = None
    result: str | None = None  # functional tests: the return value as JSON text
    stderr: str = ""
    detail: str = ""
    limit: LimitKind | None = None
    cpu_s: float = 0.0

    def describe(self) -> str:
        """A short human reason for a non-ok status."""
        if self.status == "runtime_error":
            tail = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
            last = tail[-1].strip() if tail else self.detail
            return f"runtime error: {last[:300]}"
        if self.status == "timeout":
            what = "CPU time" if self.limit == "cpu" else "wall clock"
            return f"timeout: {what} limit ({self.detail or f'{self.wall_s:.1f} s'})"
        if self.status == "memory_limit":
            return f"memory limit exceeded ({self.detail})"
        if self.status == "output_limit":
            return "output limit exceeded"
        if self.status == "killed":
            return f"killed by {self.detail}"
        return self.status


@dataclass(frozen=True, slots=True)
class RunResult:
    outcomes: tuple[TestOutcome, ...]
    notes: tuple[str, ...] = ()  # said on every verdict (isolation "none")
    error: str | None = None  # the sandbox itself failed: nothing can be concluded
    stopped_early: bool = False
    wall_s: float = 0.0
    refused: bool = False  # not run at all: no isolation here (error says why)
    tampered: str | None = None  # something not of the harness reached the result channel
