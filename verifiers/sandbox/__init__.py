"""Sandbox for untrusted programs: namespaces, rlimits, own uid, a pool sized to the cores.

`run_program(code, inputs, mode=..., func_name=..., limits=...)` is the entry point;
see runner.py for the parent side, zygote.py and harness.py for what runs in the child.
"""

from verifiers.sandbox.outcome import Limits, RunResult, TestOutcome
from verifiers.sandbox.pool import UID_BASE, SandboxPool, default_pool, run_program
from verifiers.sandbox.probe import Capabilities, capabilities
from verifiers.sandbox.runner import Zygote, run_in_sandbox

__all__ = [
    "UID_BASE",
    "Capabilities",
    "Limits",
    "RunResult",
    "SandboxPool",
    "TestOutcome",
    "Zygote",
    "capabilities",
    "default_pool",
    "run_in_sandbox",
    "run_program",
]
