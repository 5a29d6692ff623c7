"""Sandbox for untrusted programs: bubblewrap, namespaces, cgroups, seccomp, a pool per core.

`run_program(code, inputs, mode=..., func_name=..., limits=...)` is the entry point;
`configure(isolation=...)` sets the job's choice. See docs/sandbox.md for the design and
the threat model; pool.py for how a pool picks and proves its isolation, runner.py for
the parent side of a slot, and child/ for what runs inside.
"""

from verifiers.sandbox.layout import Level, View, interpreter_view
from verifiers.sandbox.outcome import Limits, RunResult, TestOutcome
from verifiers.sandbox.pool import SandboxPool, configure, default_pool, run_program
from verifiers.sandbox.probe import Isolation, real_root
from verifiers.sandbox.runner import Slot, SlotConfig

__all__ = [
    "Isolation",
    "Level",
    "Limits",
    "RunResult",
    "SandboxPool",
    "Slot",
    "SlotConfig",
    "TestOutcome",
    "View",
    "configure",
    "default_pool",
    "interpreter_view",
    "real_root",
    "run_program",
]
