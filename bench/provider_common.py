"""Shared pieces of the provider benchmarks: the fake server as a separate process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def fake_server(*args: str) -> Iterator[str]:
    """Run `python -m tests.fakes.server ARGS` in its own process (its own core); yield its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.server", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"fake server did not start: {line!r}")
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def fifty_words(req: object) -> str:
    """A fixed ~50-token answer (the fake counts words and punctuation as tokens)."""
    return " ".join(["answer"] * 49) + "."
