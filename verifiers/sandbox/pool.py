"""A pool of sandbox slots, one per core: callers from any thread share it.

A pool finds the strongest isolation the machine allows (see probe.py), proves it with
a trial program, and then keeps one warm sandbox per slot. Each pool has its own
identity (identity.py): its own uids as root, its own cgroups, so two pools (two runs,
or a run and the test suite) never touch each other's programs.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
from collections.abc import Callable, Sequence

import verifiers.sandbox.cgroup as cgroup
import verifiers.sandbox.identity as identity
import verifiers.sandbox.seccomp as seccomp
from verifiers.sandbox.layout import DEFAULT_PACKAGES, Level, find_bwrap, interpreter_view
from verifiers.sandbox.outcome import DEFAULT_LIMITS, Limits, Mode, RunResult, TestOutcome
from verifiers.sandbox.probe import NONE_NOTE, Isolation, real_root, refusal
from verifiers.sandbox.runner import Slot, SlotConfig

TRIAL = ("print(int(input()) + 1)", "41\n", "42\n")
CLOSE_WAIT_S = 60.0


def core_count() -> int:
    return len(os.sched_getaffinity(0)) or 1


class SandboxPool:
    """Runs at most `size` programs at once; `run` blocks until a slot is free.

    `isolation="auto"` takes the strongest level that works here and refuses code if
    none does; `"none"` runs without containment. `level` forces one level (tests and
    benchmarks use it to exercise the unprivileged path as root).
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        isolation: Isolation = "auto",
        level: Level | None = None,
        packages: tuple[str, ...] = DEFAULT_PACKAGES,
        bwrap: str | None = None,
    ) -> None:
        self.size = size or core_count()
        if not 0 < self.size <= identity.UID_BLOCK:
            raise ValueError(f"pool size must be 1..{identity.UID_BLOCK}")
        self.level: Level | None = None
        self.memory = "none"  # how memory is bounded: "cgroup v1", "cgroup v2", "address space"
        self.refused: str | None = None
        self._identity: identity.RunIdentity | None = None
        self._groups: cgroup.RunGroups | None = None
        self._slots: list[Slot] = []
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        view = interpreter_view(packages)
        if isolation == "none" or level == "none":
            self._use("none", SlotConfig("none", view), None)
            return
        tool = bwrap or find_bwrap()
        if tool is None:
            self.refused = refusal(["bubblewrap (bwrap) is not installed"])
            return
        levels: list[Level] = [level] if level else (["root", "userns"] if real_root() else [])
        levels = levels or ["userns"]
        reasons = []
        for lvl in levels:
            why = self._try(lvl, tool, packages)
            if why is None:
                return
            reasons.append(f"{lvl}: {why}")
        self.refused = refusal(reasons)

    def _try(self, level: Level, tool: str, packages: tuple[str, ...]) -> str | None:
        """Set the pool up at `level` and run the trial program; None when it works."""
        ident = identity.acquire(switch_uids=level == "root")
        groups, _ = cgroup.create(ident.run_id)
        # Without a cgroup, memory is bounded by RLIMIT_AS only if the program stays one
        # process, so the filter refuses new processes then.
        sc = seccomp.build_filter(single_process=groups is None) if seccomp.supported() else None
        config = SlotConfig(level, interpreter_view(packages), tool, None, None, sc)
        self._use(level, config, groups, ident)
        result = self.run(TRIAL[0], [TRIAL[1]], limits=Limits(timeout_s=20.0))
        out = result.outcomes[0] if result.outcomes else None
        if result.error is None and out is not None and out.stdout == TRIAL[2]:
            return None
        self.close()
        return result.error or (out.describe() + " " + out.stderr[-300:] if out else "no result")

    def _use(
        self,
        level: Level,
        config: SlotConfig,
        groups: cgroup.RunGroups | None,
        ident: identity.RunIdentity | None = None,
    ) -> None:
        self.level, self._groups, self._identity = level, groups, ident
        self.memory = f"cgroup v{groups.version}" if groups else "address space"
        self._slots = []
        for n in range(self.size):
            uid = ident.uid(n) if ident is not None else None
            group = groups.slot(n) if groups is not None else None
            self._slots.append(
                Slot(SlotConfig(level, config.view, config.bwrap, uid, group, config.seccomp))
            )
        self._free = queue.SimpleQueue()
        for n in range(self.size):
            self._free.put(n)

    def describe(self) -> str:
        """One line on what contains programs here (for logs and docs)."""
        if self.refused:
            return self.refused
        if self.level == "none":
            return "no sandbox (isolation: none)"
        who = "as root, a uid per slot" if self.level == "root" else "in a user namespace"
        return f"bubblewrap {who}; memory bounded by {self.memory}; seccomp filter"

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
        if self.refused is not None or not self._slots:
            return RunResult((), error=self.refused or "sandbox pool closed", refused=True)
        n = self._free.get()
        try:
            result = self._slots[n].run(
                code, inputs, mode=mode, func_name=func_name, limits=limits, check=check
            )
        finally:
            self._free.put(n)
        if self.level == "none":
            return RunResult(
                result.outcomes,
                (*result.notes, NONE_NOTE),
                result.error,
                result.stopped_early,
                result.wall_s,
                tampered=result.tampered,
            )
        return result

    @property
    def run_id(self) -> str | None:
        return self._identity.run_id if self._identity is not None else None

    @property
    def uid_base(self) -> int | None:
        """First uid of the pool's block (level root): slot n runs as uid_base + n."""
        return self._identity.uid_base if self._identity is not None else None

    @property
    def cgroups(self) -> cgroup.RunGroups | None:
        return self._groups

    def wait_idle(self) -> None:
        """Until every slot's last job has fully ended (the slots stay warm)."""
        taken = [self._free.get() for _ in range(len(self._slots))]
        try:
            for slot in self._slots:
                slot.wait_idle()
        finally:
            for n in taken:
                self._free.put(n)

    def slot_pids(self) -> list[int]:
        """Host pids of the slots' outermost processes (for tests of cleanup)."""
        return [pid for slot in self._slots if (pid := slot.pid) is not None]

    def close(self) -> None:
        """Stop every slot, remove the pool's cgroups and give up its identity."""
        taken = []
        for _ in range(len(self._slots)):
            try:
                taken.append(self._free.get(timeout=CLOSE_WAIT_S))  # until nobody uses it
            except queue.Empty:
                break
        for slot in self._slots:
            slot.close()
        if self._groups is not None:
            self._groups.remove()
            self._groups = None
        if self._identity is not None:
            self._identity.close()
            self._identity = None
        for n in taken:
            self._free.put(n)
        self._slots = []


_default: SandboxPool | None = None
_isolation: Isolation = "auto"
_size: int | None = None
_lock = threading.Lock()


def configure(isolation: Isolation = "auto", size: int | None = None) -> None:
    """Set the isolation of the process-wide pool (the job's `sandbox: {isolation: ...}`)
    and its size (default: the cores we may use; a Ray worker, which runs one task at a
    time, takes 1)."""
    global _default, _isolation, _size
    with _lock:
        if _default is not None and (_isolation, _size) != (isolation, size):
            _default.close()
            _default = None
        _isolation, _size = isolation, size


def default_pool() -> SandboxPool:
    """The process-wide pool every verifier shares, sized to the cores we may use."""
    global _default
    with _lock:
        if _default is None:
            _default = SandboxPool(_size, isolation=_isolation)
            atexit.register(_default.close)  # its cgroups and lock go with the process
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
