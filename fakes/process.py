"""The fake server as a separate program (`python -m fakes`), for end-to-end tests and
benchmarks: its own process, so it has its own core and the engine's is measured alone."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def fake_server_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `python -m fakes --host 127.0.0.1 --port 0 ARGS`; yield (process, its URL) once it
    prints READY, and stop it (SIGTERM) afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakes", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"fake server did not start: {line!r}")
        yield proc, line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
