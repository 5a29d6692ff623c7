"""Verification in a worker process of a cluster: the same verifier, sandbox and limits.

A cluster backend (engine.verify_backend, on Ray) sends `check(question, answer,
isolation)` to its workers; nothing here imports the cluster's library, so a worker only
needs judgeflow installed. Each worker process keeps one warm sandbox (a pool of size 1:
a worker runs one task at a time, and the cluster gives it one CPU) and its own sympy
child, exactly as the engine's own process would. `fingerprint()` names the verifiers'
source, so the engine can refuse workers whose verdicts could differ from its own.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from verifiers.base import Question, Verdict
from verifiers.registry import verifier_for
from verifiers.sandbox import Isolation, configure, default_pool

_configured: Isolation | None = None
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Checked:
    """A verdict and the worker process that reached it."""

    verdict: Verdict
    host: str
    pid: int


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    host: str
    pid: int
    python: str
    fingerprint: str
    sandbox: str  # what contains programs there (SandboxPool.describe)
    refused: bool  # no sandbox possible there: code answers would be refused


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of the verifiers package's source: equal on both sides, equal verdicts."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _setup(isolation: Isolation) -> None:
    global _configured
    with _lock:
        if _configured != isolation:
            configure(isolation, size=1)
            _configured = isolation


def check(question: Question, answer: str, isolation: Isolation) -> Checked:
    """Verify one answer here, as the engine's own process would (never raises on an
    answer; a verifier's own failure is a verdict of the verifier, as locally)."""
    _setup(isolation)
    verdict = verifier_for(question.task)(question, answer)
    return Checked(verdict, platform.node(), os.getpid())


def describe(isolation: Isolation) -> WorkerInfo:
    """What a worker runs: for the engine's check at start (and its console line)."""
    _setup(isolation)
    pool = default_pool()
    return WorkerInfo(
        host=platform.node(),
        pid=os.getpid(),
        python=".".join(map(str, sys.version_info[:3])),
        fingerprint=fingerprint(),
        sandbox=pool.describe(),
        refused=pool.refused is not None,
    )
